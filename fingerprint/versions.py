"""The fingerprint versions this code compares: the registry a new version joins.

Every stored fingerprint carries ``(algorithm, version, params)``. A row made by another
version means something else (other pixels, other quantisation), and comparing it with today's
vectors would give silently wrong scores — dejavu's mistake. So the index only ever holds rows
whose ``(algorithm, version)`` is listed here; `dramaguard check` lists the others, which must
be registered again from their video. A change to what a vector means bumps ``VERSION`` in
``fingerprint/extract.py`` (audio: ``fingerprint/audio.py``); a change that keeps old rows
comparable adds the old pair here instead.
"""
from __future__ import annotations

from fingerprint import audio, extract

VIDEO: frozenset[tuple[str, int]] = frozenset({(extract.ALGORITHM, extract.VERSION)})
AUDIO: frozenset[tuple[str, int]] = frozenset({(audio.ALGORITHM, audio.VERSION)})


def comparable(algorithm: str, version: int, *, known: frozenset[tuple[str, int]] = VIDEO) -> bool:
    """Whether a stored row of ``algorithm`` / ``version`` can be compared with today's prints."""
    return (algorithm, version) in known
