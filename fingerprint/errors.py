"""Errors of the fingerprint package: one base, so callers can report per file and go on."""
from __future__ import annotations


class FingerprintError(Exception):
    """Base of this package's errors."""


class DecodeError(FingerprintError):
    """The file cannot be decoded as video (missing, not video, corrupt, too large, ...).

    ``expected`` is True: bad input from the outside world, not our bug.
    """

    expected = True

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self):
        # keeps the error intact across process pools (the default pickles only the message)
        return (type(self), (self.path, self.reason))
