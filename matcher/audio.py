"""Audio landmark index and match: which reference a query's sound comes from, and where.

Landmark hashes are looked up in one sorted array (no per-hash Python objects); a true copy's
hits agree on one time offset, chance hits do not, so the evidence is the largest group of hits
on one offset (±1 frame). The query comes as several views (speed-ups undone), the best counts.
Landmarks that several episodes share (a theme tune, a drum loop, a studio jingle) say nothing
about which episode was copied and line up by chance, so hashes found in more than
``max(1, common_share × episodes)`` episodes are left out of the index, like frames that match
everything on the video side.

Sound that is not the work's own is never evidence either (:mod:`matcher.music`): what an
episode shares with a track in the music exclusion bank, or with an episode of another work, is
dropped from the index. A match reports its dialogue hits apart, since only dialogue aligned over
a minimum length may claim a copy on the sound alone (:mod:`matcher.fusion`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fingerprint.audio import FRAME_MS, AudioFingerprint
from matcher.music import ExcludedTrack, Owner, SharedSound, shared_rows


@dataclass(frozen=True)
class AudioMatch:
    episode_id: int
    score: float  # 1 - exp(-hits / scale): 0 for nothing, near 1 for a long clean copy
    hits: int  # landmarks that agree on the offset
    offset_ms: float  # t_ref - t_query·speed
    speed: float  # the speed-up the copy was found at (1.0: none)
    dialogue_hits: int = 0  # of ``hits``, landmarks tagged dialogue in the reference
    dialogue_ms: int = 0  # reference time spanned by the dialogue hits (first to last)
    # shares of the reference's landmarks over the heard stretch that matched: a copy keeps its
    # dialogue about as well as its music, a video sharing only the music loses the dialogue
    dialogue_rate: float = 0.0
    music_rate: float = 0.0

    @property
    def dialogue_score(self) -> float:
        """The score the dialogue hits alone would earn (same scale as ``score``)."""
        return float(1.0 - np.exp(-self.dialogue_hits / AudioMatchParams.scale))


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
        self._owners: dict[int, Owner] = {}
        self._bank: dict[int, ExcludedTrack] = {}
        self._built: tuple[np.ndarray, ...] | None = None
        self.shared: list[SharedSound] = []  # what was left out as not the episodes' own sound
        self._kind_times: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # episode → dialogue, music times  # episode → landmarks left out as not its own sound

    def add(self, episode_id: int, fp: AudioFingerprint, owner: Owner | None = None) -> None:
        """``owner`` (holder, work) lets music shared with other works be told apart."""
        self._parts[episode_id] = fp
        self._owners[episode_id] = owner or Owner(None, None)
        self._built = None

    def remove(self, episode_id: int) -> None:
        self._parts.pop(episode_id, None)
        self._owners.pop(episode_id, None)
        self._built = None

    def exclude_track(self, track: ExcludedTrack) -> None:
        """A music track that is "not ours" (for its holder, or for all when ``holder`` is None)."""
        self._bank[track.track_id] = track
        self._built = None

    def forget_track(self, track_id: int) -> None:
        self._bank.pop(track_id, None)
        self._built = None

    def owners(self) -> dict[int, Owner]:
        return dict(self._owners)

    def shared_sound(self) -> list[SharedSound]:
        """The flags of the current build: stretches of episodes that are not their own sound."""
        self._arrays()
        return list(self.shared)

    @property
    def size(self) -> int:
        return sum(len(fp) for fp in self._parts.values())

    def _arrays(self) -> tuple[np.ndarray, ...]:
        if self._built is None:
            empty = [np.zeros(0, np.int64)]
            parts = list(self._parts.items())
            excluded, self.shared = shared_rows(parts, self._owners, list(self._bank.values()), self.params.min_hits)
            keep_rows = [~m for m in excluded]
            h = np.concatenate([fp.hashes[k] for (_, fp), k in zip(parts, keep_rows)] or empty)
            t = np.concatenate([fp.times_ms[k] for (_, fp), k in zip(parts, keep_rows)] or empty)
            e = np.concatenate([np.full(int(k.sum()), ep, np.int64) for (ep, _), k in zip(parts, keep_rows)] or empty)
            d = np.concatenate([fp.dialogue()[k] for (_, fp), k in zip(parts, keep_rows)]
                               or [np.zeros(0, bool)])
            order = np.argsort(h, kind="stable")
            h, t, e, d = h[order], t[order], e[order], d[order]
            # episodes per hash: count distinct (hash, episode) pairs
            pairs = np.unique(np.stack([h, e], axis=1), axis=0)
            uniq, per_hash = np.unique(pairs[:, 0], return_counts=True)
            limit = max(1, int(self.params.common_share * len(self._parts)))
            common = uniq[per_hash > limit]
            keep = ~np.isin(h, common)
            self._built = (h[keep], t[keep], e[keep], d[keep])
            self._kind_times = {}
            for ep in np.unique(e[keep]):
                mine = e[keep] == ep
                times, spoken = t[keep][mine], d[keep][mine]
                self._kind_times[int(ep)] = (np.sort(times[spoken]), np.sort(times[~spoken]))
        return self._built

    def match(self, views: list[tuple[float, AudioFingerprint]]) -> list[AudioMatch]:
        """Best match per episode over all views, best first; episodes below ``min_hits`` left out."""
        ref_h, ref_t, ref_e, ref_d = self._arrays()
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
                mine = episodes == episode
                off = offsets[mine]
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
                    on_line = np.abs(off - base - j) <= 1
                    spoken = ref_d[r_idx[mine]] & on_line
                    q_times = fp.times_ms[q_idx[mine]][spoken]
                    span = int(q_times.max() - q_times.min()) if len(q_times) else 0  # reference time
                    offset = float((j + base) * FRAME_MS)
                    heard = (offset, offset + (fp.times_ms.max() if len(fp) else 0))
                    dialogue_rate, music_rate = (
                        _share(n, times, heard) for n, times in
                        zip((int(spoken.sum()), hits - int(spoken.sum())), self._kind_times[int(episode)])
                    )
                    best[int(episode)] = AudioMatch(
                        int(episode), score, hits, offset, speed,
                        dialogue_hits=int(spoken.sum()), dialogue_ms=span,
                        dialogue_rate=round(dialogue_rate, 4), music_rate=round(music_rate, 4),
                    )
        return sorted(best.values(), key=lambda m: -m.score)


MIN_KIND_LANDMARKS = 20  # fewer landmarks of a kind over the heard stretch: no share to compare


def _share(hits: int, times: np.ndarray, heard: tuple[float, float]) -> float:
    """``hits`` as a share of the reference's landmarks of one kind within ``heard`` (at most 1:
    two query landmarks may hit one reference landmark); 0 when the kind is too rare there to say
    (music the bank or other works took out, a scene without music)."""
    count = int(np.searchsorted(times, heard[1], "right") - np.searchsorted(times, heard[0]))
    return min(1.0, hits / count) if count >= MIN_KIND_LANDMARKS else 0.0
