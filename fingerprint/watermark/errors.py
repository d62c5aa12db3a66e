"""Errors of the watermark module: one base, ``expected`` tells bad input from our bugs."""
from __future__ import annotations


class WatermarkError(Exception):
    """Base of this module's errors; ``expected`` is True when the input was at fault."""

    expected: bool = True

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
