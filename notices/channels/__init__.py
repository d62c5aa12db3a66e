"""Delivery-channel plugins; ``REGISTRY`` maps the stored channel name to its class."""
from __future__ import annotations

from notices.channels.base import Attachment, Channel, DeliveryReceipt, OutgoingNotice, build_registry
from notices.channels.email import EmailChannel
from notices.channels.http import HttpComplaintChannel

CHANNELS: tuple[type[Channel], ...] = (EmailChannel, HttpComplaintChannel)
REGISTRY = build_registry(CHANNELS)

__all__ = ["CHANNELS", "REGISTRY", "Attachment", "Channel", "DeliveryReceipt", "EmailChannel",
           "HttpComplaintChannel", "OutgoingNotice"]
