"""The one rule every plugin registry shares: a stored name names one class.

Owns nothing else and imports nothing of the project, so every package (crawler platforms,
notice channels, index backends) may use it without breaking the dependency rule.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar


class Named(Protocol):
    name: str


P = TypeVar("P", bound=Named)


def unique_names(plugins: Iterable[type[P]], kind: str, *,
                 error: type[Exception] = ValueError) -> dict[str, type[P]]:
    """Name → class for a registry tuple; a second class with a taken name raises ``error`` at
    start-up, since the name is what the database stores."""
    registry: dict[str, type[P]] = {}
    for plugin in plugins:
        if plugin.name in registry:
            raise error(f"duplicate {kind} name {plugin.name!r}")
        registry[plugin.name] = plugin
    return registry
