"""Sound that is not the work's own: what an episode shares with excluded music or other works.

Dramas license stock and trending music that anyone may use, so matching it proves nothing about
who copied whom (Content ID excludes such third-party material from a reference the same way).
Two sources mark an episode's landmarks as not evidence:

- a track in the **music exclusion bank**: registered by a rights holder for their own works
  (``holder`` set) or by an admin for every work (``holder`` None);
- **another episode** that carries the same sound at one offset: of another work or holder (stock
  or trending music), or of the same work (its theme song, whose sung lines a voice detector
  takes for dialogue, and recaps: dialogue a drama's own episodes repeat is no proof of which
  one was copied, and the rest of the episode still is).

Sharing is decided the way a copy is: hashes alone collide by the thousand in a large library,
so only hits that line up on one time offset (at least ``min_hits``, ±1 frame) count. The
matched landmarks are dropped. For a bank track or another work's episode, so are the episode's
music landmarks within each stretch the shared track covers (clusters of aligned hits), since
the rest of that music is the same track heard less cleanly; within one work (or between
episodes of unknown owners) only the matched landmarks go, so a drum loop a series' tracks share
does not wipe out all its music. Dialogue landmarks that did not match stay: a voice over licensed music is
still the work's own.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fingerprint.audio import FRAME_MS, AudioFingerprint

GAP_MS = 10_000  # aligned hits further apart start a new shared stretch: the other episode may
# hide the track under a long line of dialogue, and music rows never carry a claim anyway
MIN_CLUSTER = 3  # aligned hits that make a stretch (fewer: only those landmarks are dropped)


@dataclass(frozen=True)
class Owner:
    """Whose episode: rights holder and work ids (None: unknown, never compared)."""

    holder: int | None
    work: int | None


@dataclass(frozen=True)
class ExcludedTrack:
    """A bank entry: landmarks of a music track that is "not ours"."""

    track_id: int
    fingerprint: AudioFingerprint
    holder: int | None = None  # None: excluded for every holder (an admin's entry)


@dataclass(frozen=True)
class SharedSound:
    """A flag: a stretch of an episode heard in a bank track or in another episode."""

    episode_id: int
    source: str  # "bank" or "episode"
    source_id: int  # the bank track's or the other episode's id
    start_ms: int
    end_ms: int
    landmarks: int  # of the episode's, left out


def _id(value: int | None) -> int:
    return -1 if value is None else value


def shared_rows(
    parts: Sequence[tuple[int, AudioFingerprint]],
    owners: Mapping[int, Owner],
    bank: Sequence[ExcludedTrack],
    min_hits: int,
) -> tuple[list[np.ndarray], list[SharedSound]]:
    """Per part, a mask of the landmarks that are not its own sound (see the module doc), and
    the flags saying where each came from."""
    masks = [np.zeros(len(fp), bool) for _, fp in parts]
    flags: list[SharedSound] = []
    # every source in one sorted array: episodes first (index i), then bank tracks (len + k)
    sources = [fp for _, fp in parts] + [t.fingerprint for t in bank]
    if not bank and len(parts) < 2:
        return masks, flags
    h = np.concatenate([fp.hashes for fp in sources] or [np.zeros(0, np.int64)])
    t = np.concatenate([fp.times_ms for fp in sources] or [np.zeros(0, np.int64)])
    s = np.concatenate([np.full(len(fp), i, np.int64) for i, fp in enumerate(sources)] or [np.zeros(0, np.int64)])
    order = np.argsort(h, kind="stable")
    h, t, s = h[order], t[order], s[order]
    works = np.asarray([_id(owners[e].work) for e, _ in parts] + [-2] * len(bank), np.int64)
    holders = np.asarray([_id(owners[e].holder) for e, _ in parts] + [-2] * len(bank), np.int64)
    track_holders = np.asarray([_id(t.holder) for t in bank], np.int64)
    for i, (episode, fp) in enumerate(parts):
        owner = owners[episode]
        # sources: every other episode, and the bank tracks for this holder or for everyone
        other = np.arange(len(parts)) != i
        allowed = np.concatenate([other, (track_holders < 0) | (track_holders == _id(owner.holder))])
        if len(fp) == 0 or not allowed.any():
            continue
        lo, hi = np.searchsorted(h, fp.hashes, "left"), np.searchsorted(h, fp.hashes, "right")
        counts = hi - lo
        if counts.sum() == 0:
            continue
        q = np.repeat(np.arange(len(fp)), counts)
        r = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi) if b > a])
        keep = allowed[s[r]]
        q, r = q[keep], r[keep]
        offsets = np.round((t[r] - fp.times_ms[q]) / FRAME_MS).astype(np.int64)
        for source in np.unique(s[r]):
            mine = s[r] == source
            foreign = source >= len(parts) or (
                works[i] >= 0 and works[source] >= 0 and (works[source], holders[source]) != (works[i], holders[i]))
            shared = _shared_with(fp, q[mine], offsets[mine], min_hits, spread=bool(foreign))
            if shared.any():
                masks[i] |= shared
                times = fp.times_ms[shared]
                kind, source_id = (("episode", parts[source][0]) if source < len(parts)
                                   else ("bank", bank[source - len(parts)].track_id))
                flags.append(SharedSound(episode, kind, int(source_id), int(times.min()), int(times.max()),
                                         int(shared.sum())))
    return masks, flags


def _shared_with(fp: AudioFingerprint, q: np.ndarray, offsets: np.ndarray, min_hits: int,
                 spread: bool) -> np.ndarray:
    """The episode's landmarks shared with one source: every line of ≥ ``min_hits`` aligned hits
    (with ``spread``, also its music landmarks over each stretch those hits cover)."""
    mask = np.zeros(len(fp), bool)
    base = offsets.min()
    votes = np.bincount(offsets - base)
    window = np.convolve(votes, np.ones(3, np.int64), mode="same")
    music = ~fp.dialogue()
    for line in np.flatnonzero(window >= min_hits):
        rows = np.unique(q[np.abs(offsets - base - line) <= 1])
        mask[rows] = True
        if not spread:
            continue
        times = np.sort(fp.times_ms[rows])
        breaks = np.flatnonzero(np.diff(times) > GAP_MS)
        for chunk in np.split(times, breaks + 1):
            if len(chunk) >= MIN_CLUSTER:
                mask |= music & (fp.times_ms >= chunk[0]) & (fp.times_ms <= chunk[-1])
    return mask
