"""One error base for the notices package; ``expected`` says whether the outside world refused."""
from __future__ import annotations


class NoticeError(Exception):
    """Base error. ``expected=True``: the outside world refused (warn, retry or report);
    ``expected=False``: our own bug (log the traceback)."""

    def __init__(self, message: str, *, expected: bool = False) -> None:
        super().__init__(message)
        self.expected = expected


class IllegalTransition(NoticeError):
    """A case event that its current state does not allow (a bug in the caller)."""


class IncompleteNotice(NoticeError):
    """A notice lacks an element the law requires; it must not be sent. ``missing`` holds the
    element codes (notices.completeness.ELEMENTS) so the reason can be shown in any language."""

    def __init__(self, message: str, *, expected: bool = True, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message, expected=expected)
        self.missing = missing


class DeliveryError(NoticeError):
    """A channel could not deliver. ``retryable=False`` means retrying cannot help (e.g. 4xx)."""

    def __init__(self, message: str, *, expected: bool = True, retryable: bool = True,
                 attempts: int = 1) -> None:
        super().__init__(message, expected=expected)
        self.retryable = retryable
        self.attempts = attempts  # how many sends were tried before giving up
