"""Refusals of a person's request: the record is missing, in the wrong state, or the input is wrong.

Messages are shown to the person as they are (API ``detail``, the page's error text).
"""
from __future__ import annotations


class WorkspaceError(Exception):
    """The base the web app maps to an HTTP status (404, 409, 422)."""

    expected = True


class NotFound(WorkspaceError):
    """Missing, or another tenant's: both answer alike, so tenants cannot probe each other's ids."""


class Conflict(WorkspaceError):
    """The record is in a state that does not allow the request (a decided case, a sent notice)."""


class Unnamed(WorkspaceError):
    """The request does not name what it must (an admin acting for a tenant names the tenant)."""


class Invalid(WorkspaceError):
    """The input itself is wrong (an interval that ends before it starts, an empty title)."""
