"""Deadline rules: notice within 2 h of detection, removal within 24 h of the notice."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Urgency(StrEnum):
    OK = "ok"
    WARNING = "warning"  # the deadline is near
    BREACHED = "breached"


@dataclass(frozen=True)
class DeadlinePolicy:
    notice_within: timedelta = timedelta(hours=2)
    warn_before: timedelta = timedelta(minutes=30)
    removal_window: timedelta = timedelta(hours=24)
    recheck_interval: timedelta = timedelta(hours=1)
    counter_notice_wait: timedelta = timedelta(days=15)

    def notice_deadline(self, detected_at: datetime) -> datetime:
        return detected_at + self.notice_within

    def urgency(self, deadline: datetime, now: datetime) -> Urgency:
        """The watchdog's view: warn ``warn_before`` ahead, breach at the deadline."""
        if now >= deadline:
            return Urgency.BREACHED
        if now >= deadline - self.warn_before:
            return Urgency.WARNING
        return Urgency.OK

    def removal_due_by(self, notified_at: datetime) -> datetime:
        return notified_at + self.removal_window

    def next_check(self, checked_at: datetime, notified_at: datetime) -> datetime:
        """Next re-check: every interval, but never later than the end of the removal window."""
        return min(checked_at + self.recheck_interval, self.removal_due_by(notified_at))

    def counter_notice_until(self, forwarded_at: datetime) -> datetime:
        return forwarded_at + self.counter_notice_wait
