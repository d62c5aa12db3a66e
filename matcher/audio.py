"""Audio landmark index and match: which reference a query's sound comes from, and where.

Landmark hashes are looked up in one sorted array (no per-hash Python objects); a true copy's
hits agree on one time offset, chance hits do not, so the evidence is the largest group of hits
on one offset (±1 frame). The query comes as several views (speed-ups undone), the best counts.
Landmarks that several episodes share (a theme tune, a drum loop, a studio jingle) say nothing
about which episode was copied and line up by chance, so hashes found in more than
``max(1, common_share × episodes)`` episodes are left out of the index, like frames that match
everything on the video side.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fingerprint.audio import FRAME_MS, AudioFingerprint


@dataclass(frozen=True)
class AudioMatch:
    episode_id: int
    score: float  # 1 - exp(-hits / scale): 0 for nothing, near 1 for a long clean copy
    hits: int  # landmarks that agree on the offset
    offset_ms: float  # t_ref - t_query·speed
    speed: float  # the speed-up the copy was found at (1.0: none)


@dataclass(frozen=True)
class AudioMatchParams:
    min_hits: int = 8
    scale: float = 20.0
    common_share: float = 0.005


class AudioIndex:
    """Reference landmarks of all episodes; rebuilt cheaply from stored fingerprints."""

    def __init__(self, params: AudioMatchParams = AudioMatchParams()) -> None:
        self.params = params
        self._parts: dict[int, AudioFingerprint] = {}
        self._built: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def add(self, episode_id: int, fp: AudioFingerprint) -> None:
        self._parts[episode_id] = fp
        self._built = None

    def remove(self, episode_id: int) -> None:
        self._parts.pop(episode_id, None)
        self._built = None

    @property
    def size(self) -> int:
        return sum(len(fp) for fp in self._parts.values())

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._built is None:
            hashes = [fp.hashes for fp in self._parts.values()] or [np.zeros(0, np.int64)]
            times = [fp.times_ms for fp in self._parts.values()] or [np.zeros(0, np.int64)]
            eps = [np.full(len(fp), e, np.int64) for e, fp in self._parts.items()] or [np.zeros(0, np.int64)]
            h, t, e = np.concatenate(hashes), np.concatenate(times), np.concatenate(eps)
            order = np.argsort(h, kind="stable")
            h, t, e = h[order], t[order], e[order]
            # episodes per hash: count distinct (hash, episode) pairs
            pairs = np.unique(np.stack([h, e], axis=1), axis=0)
            uniq, per_hash = np.unique(pairs[:, 0], return_counts=True)
            limit = max(1, int(self.params.common_share * len(self._parts)))
            common = uniq[per_hash > limit]
            keep = ~np.isin(h, common)
            self._built = (h[keep], t[keep], e[keep])
        return self._built

    def match(self, views: list[tuple[float, AudioFingerprint]]) -> list[AudioMatch]:
        """Best match per episode over all views, best first; episodes below ``min_hits`` left out."""
        ref_h, ref_t, ref_e = self._arrays()
        best: dict[int, AudioMatch] = {}
        if len(ref_h) == 0:
            return []
        for speed, fp in views:
            if len(fp) == 0:
                continue
            lo = np.searchsorted(ref_h, fp.hashes, side="left")
            hi = np.searchsorted(ref_h, fp.hashes, side="right")
            counts = hi - lo
            if counts.sum() == 0:
                continue
            q_idx = np.repeat(np.arange(len(fp)), counts)
            r_idx = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi) if b > a])
            offsets = np.round((ref_t[r_idx] - fp.times_ms[q_idx]) / FRAME_MS).astype(np.int64)
            episodes = ref_e[r_idx]
            for episode in np.unique(episodes):
                off = offsets[episodes == episode]
                base = off.min()
                votes = np.bincount(off - base)
                # ±1 frame: rounding of the two timelines
                window = np.convolve(votes, np.ones(3, np.int64), mode="same")
                j = int(np.argmax(window))
                hits = int(window[j])
                if hits < self.params.min_hits:
                    continue
                score = float(1.0 - np.exp(-hits / self.params.scale))
                current = best.get(int(episode))
                if current is None or score > current.score:
                    best[int(episode)] = AudioMatch(
                        int(episode), score, hits, float((j + base) * FRAME_MS), speed
                    )
        return sorted(best.values(), key=lambda m: -m.score)
