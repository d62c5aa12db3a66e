"""The explicit registry of platform plugins; names are stored in the database, never derived."""

from __future__ import annotations

from crawler.base import Platform
from crawler.feed import FeedPlatform
from crawler.simulated.platform import SimulatedPlatform
from crawler.ytdlp import YtDlpPlatform
from plugins import unique_names

PLATFORMS: tuple[type[Platform], ...] = (SimulatedPlatform, YtDlpPlatform, FeedPlatform)


def build_registry(platforms: tuple[type[Platform], ...]) -> dict[str, type[Platform]]:
    return unique_names(platforms, "platform")


REGISTRY = build_registry(PLATFORMS)


def platform_class(name: str) -> type[Platform]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown platform {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
