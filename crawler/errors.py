"""The crawler's one error base: ``expected`` says whether the outside world refused or we broke.

``expected=True`` (a 404, a 429 after all retries, a refused address, a malformed page, a file over
the cap) is logged as a warning and the crawl goes on; ``expected=False`` is a bug in our code.
"""

from __future__ import annotations


class CrawlError(Exception):
    expected: bool = True

    def __init__(self, message: str, *, expected: bool | None = None, url: str | None = None):
        super().__init__(message)
        if expected is not None:
            self.expected = expected
        self.url = url

    def __reduce__(self):
        """Rebuild without ``__init__`` (subclasses take keyword-only fields): errors cross
        process boundaries, e.g. back from a Ray sampling task."""
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[CrawlError], args: tuple, state: dict) -> CrawlError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class BlockedAddress(CrawlError):
    """The URL resolves to loopback, private, link-local or metadata addresses."""


class HttpStatusError(CrawlError):
    """The platform answered with an error status (after retries where retrying made sense)."""

    def __init__(self, message: str, *, status: int, url: str | None = None):
        super().__init__(message, url=url)
        self.status = status

    @property
    def gone(self) -> bool:
        """404/410: the video was deleted or taken down."""
        return self.status in (404, 410)


class MalformedResponse(CrawlError):
    """The platform answered 2xx with a body we cannot read (bad JSON, missing fields)."""


class MediaError(CrawlError):
    """The media could not be sampled: truncated, over the cap, unreadable."""


class UnsupportedOperation(CrawlError):
    """The platform cannot do this (e.g. accounts on a plain feed): configuration."""
