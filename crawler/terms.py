"""Search terms for a registered work: its names, and its names with the words pirates add.

Pirates upload whole series as "<title> 全集", "<title> 合集", single episodes as "<title> 第12集".
Each work can override the words and name the episodes worth searching one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PIRATE_WORDS: tuple[str, ...] = ("全集", "合集", "完整版", "大结局", "高清", "短剧")


@dataclass(frozen=True)
class SearchProfile:
    words: Sequence[str] = PIRATE_WORDS
    episodes: Sequence[int] = ()  # "第N集" terms for these episode numbers
    extra_terms: Sequence[str] = ()  # verbatim terms (e.g. a pirate's known spelling)


def search_terms(
    title: str, aliases: Iterable[str] = (), profile: SearchProfile = SearchProfile()
) -> list[str]:
    """Distinct terms, names first (the broadest), then name + word, then episodes, then extras."""
    names = [n.strip() for n in (title, *aliases) if n and n.strip()]
    terms = list(names)
    terms += [f"{name} {word}" for name in names for word in profile.words]
    terms += [f"{name} 第{n}集" for name in names for n in profile.episodes]
    terms += [t.strip() for t in profile.extra_terms if t.strip()]
    return list(dict.fromkeys(terms))
