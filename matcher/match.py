"""The match decision: find episodes through the index, verify them exactly, align, score.

Two stages, as copy-detection systems do at scale (retrieve, then verify):

1. **Search**: every ``search_every``-th sampled frame of the query (all its views), in both
   orientations, goes to the frame index; an episode whose hits line up in time is a candidate.
   This is the only stage that touches the index, so it sets the index time per candidate.
2. **Verify**: each episode the search scores at least ``verify_from`` (the best
   ``verify_per_minute`` per minute of query, so an unrelated upload's chance lines cost a bounded
   amount) is compared exactly, every frame of the query with every stored descriptor of the
   episode (the originals, from :data:`References`), then aligned and scored on those exact
   similarities — so the decision and the located segment depend neither on the index's
   compression nor on the frames the search skipped. Only verified matches are reported: the
   weaker lines of the search are chance look-alikes, which a library of millions of frames
   offers every candidate by the hundred (benchmarks/RESULTS.md, Scale), and reporting them would
   fill the review queue with noise.

Without a reference source the search looks at every frame and its hits are the evidence.

One :class:`Match` per reference episode found, so a "full series" compilation yields one match
per episode it contains. Scores are in [0, 1] and comparable across queries: they combine how
similar the aligned frames are with how much matched time supports the line.
"""
from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from fingerprint.borders import Box
from fingerprint.descriptor import mirrored
from fingerprint.extract import VideoFingerprint
from matcher.align import Alignment, AlignParams, align
from matcher.crop_fit import FitParams, Keyframes, fit_crop, fitted_pairs
from matcher.index import FrameIndex

References = Callable[[Collection[int]], Mapping[int, tuple[np.ndarray, np.ndarray]]]
"""Episode ids → (frame times in ms, unit descriptors) of the registered originals."""
Pairs = dict[tuple[int, bool], list[tuple[int, int, float]]]  # (episode, flipped) → (tq, tr, sim)
WeakHits = dict[tuple[int, bool], np.ndarray]  # (episode, flipped) → (n, 3) rows of (tq, tr, sim)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchParams:
    neighbours: int = 16
    similarity_floor: float = 0.75  # similarity that counts as no evidence at all
    support_ms: int = 3000  # matched duration that earns full support
    # the search stage looks at every n-th sampled frame (index time ÷ n); the verification sees
    # all of them. 3 at 4 frames/s: a copy of 2.5 s or more still gives the search the aligner's
    # 3 frames (a 3-s copy 4). At 4 a 2.8-s copy may offer only 2; two-frame lines instead cost
    # ~200 chance lines per candidate at 50 M frames (benchmarks/RESULTS.md, Scale)
    search_every: int = 3
    # a search-stage score from which the episode is verified exactly: below the notice point
    # (0.5) with a margin; lower costs verification of chance look-alikes (RESULTS.md, Scale)
    verify_from: float = 0.4
    # at most this many episodes per minute of query are verified, best search scores first
    # (never fewer than verify_at_least): a library of 50 M frames offers an unrelated 2-minute
    # upload dozens of chance lines above verify_from, while a compilation of 1–3-minute episodes
    # holds at most about one episode per minute
    verify_per_minute: float = 4.0
    verify_at_least: int = 8
    # index hits from this similarity are kept for the crop fit's candidates (MatchParams.weak_lines)
    weak_floor: float = 0.55
    align: AlignParams = AlignParams()


@dataclass(frozen=True)
class Match:
    episode_id: int
    score: float
    flipped: bool
    alignment: Alignment


def score_alignment(alignment: Alignment, params: MatchParams) -> float:
    return score_evidence(alignment.mean_similarity, alignment.matched_ms, params)


def score_evidence(mean_similarity: float, matched_ms: int, params: MatchParams) -> float:
    """Similarity above the floor, scaled, times the support of the matched duration."""
    quality = (mean_similarity - params.similarity_floor) / (1 - params.similarity_floor)
    support = min(1.0, matched_ms / params.support_ms)
    return float(np.clip(quality, 0.0, 1.0) * support) ** 0.5


def searched_rows(times_ms: np.ndarray, every: int) -> np.ndarray:
    """Rows of every ``every``-th sampled frame; the views of a frame stay together."""
    ordinal = np.unique(times_ms, return_inverse=True)[1]
    return np.flatnonzero(ordinal % every == 0)


class QueryMatcher:
    """Matches query fingerprints against a :class:`FrameIndex`."""

    def __init__(
        self, index: FrameIndex, params: MatchParams = MatchParams(), references: References | None = None
    ) -> None:
        self.index = index
        self.params = params
        self.references = references

    def match(
        self, query: VideoFingerprint, ref_durations_ms: Mapping[int, int], *, step_ms: int,
        weak: WeakHits | None = None,
    ) -> list[Match]:
        """All episodes whose alignment scores above zero, best first (``weak``: see
        :meth:`search_stage`)."""
        if len(query) == 0 or self.index.size == 0:
            return []
        if self.references is None:
            return self._decide(self._search(query.times_ms, query.vectors), query, ref_durations_ms, step_ms)
        found = [m for m in self.search_stage(query, ref_durations_ms, step_ms=step_ms, weak=weak)
                 if m.score >= self.params.verify_from]
        per_minute = self.params.verify_per_minute * query.duration_ms / 60_000
        budget = max(self.params.verify_at_least, math.ceil(per_minute))
        if len(found) > budget:
            log.debug("%d episodes above verify_from, verifying the best %d", len(found), budget)
        shortlist = {m.episode_id for m in found[:budget]}
        return self._decide(self._verify(query, shortlist), query, ref_durations_ms, step_ms) if shortlist else []

    def search_stage(
        self, query: VideoFingerprint, ref_durations_ms: Mapping[int, int], *, step_ms: int,
        weak: WeakHits | None = None,
    ) -> list[Match]:
        """The search stage's own matches: lines through the searched frames' index hits, scored
        on them alone. What :meth:`match` shortlists for verification, and what a benchmark counts
        as chance look-alikes. ``weak`` receives the hits down to ``MatchParams.weak_floor``
        (the same search, kept lower: :meth:`weak_lines`)."""
        every = self.params.search_every
        rows = searched_rows(query.times_ms, every)
        pairs = self._search(query.times_ms[rows], query.vectors[rows], weak=weak)
        return self._decide(pairs, query, ref_durations_ms, step_ms * every)

    def weak_lines(self, query: VideoFingerprint, weak: WeakHits, ref_durations_ms: Mapping[int, int], *,
                   step_ms: int, exclude: Collection[int] = (), limit: int = 3) -> list[Match]:
        """Lines through index hits too weak to be evidence (``weak``, from :meth:`search_stage`),
        the ``limit`` best supported, as score-0 matches: where a crop no stored view has the
        extent of may be, for :meth:`refit` to try (a box crop of real footage gets no hit above
        the aligner's floor on most frames; benchmarks.crop_set)."""
        loose = replace(self.params.align, min_similarity=self.params.weak_floor)
        frames = {key: len(np.unique(hits[:, 0])) for key, hits in weak.items() if key[0] not in exclude}
        # a large library gives most episodes a few chance hits this low: align the best-hit few
        busiest = sorted((k for k, n in frames.items() if n >= loose.min_frames), key=lambda k: -frames[k])
        found: dict[int, Match] = {}
        for episode_id, flipped in busiest[: limit + 1]:
            arr = weak[(episode_id, flipped)]
            line = align(arr[:, 0], arr[:, 1], arr[:, 2], query_duration_ms=query.duration_ms,
                         ref_duration_ms=ref_durations_ms.get(episode_id, query.duration_ms),
                         step_ms=step_ms * self.params.search_every, params=loose)
            if line is not None and (episode_id not in found or line.inlier_frames > found[episode_id].alignment.inlier_frames):
                found[episode_id] = Match(episode_id, 0.0, flipped, line)
        ranked = sorted(found.values(), key=lambda m: -m.alignment.inlier_frames * m.alignment.mean_similarity)
        return ranked[:limit]

    def _search(self, times_ms: np.ndarray, vectors: np.ndarray, weak: WeakHits | None = None) -> Pairs:
        """Index hits of ``vectors`` in both orientations that can be evidence; ``weak`` receives,
        per (episode, orientation), the hits down to ``weak_floor`` as one (n, 3) array."""
        pairs: Pairs = defaultdict(list)
        floor = self.params.align.min_similarity
        for flipped, rows in ((False, vectors), (True, mirrored(vectors))):
            neighbours = self.index.search(rows, self.params.neighbours)
            eps, sims = np.asarray(neighbours.episode_ids), np.asarray(neighbours.similarities)
            ref_times, query_times = np.asarray(neighbours.times_ms), np.asarray(times_ms)
            if weak is not None:
                low = (eps >= 0) & (sims >= self.params.weak_floor)
                row = np.nonzero(low)[0]
                arr = np.column_stack([query_times[row], ref_times[low], sims[low]]).astype(np.float64)
                order = np.argsort(eps[low], kind="stable")
                keys, starts = np.unique(eps[low][order], return_index=True)
                for episode, part in zip(keys, np.split(arr[order], starts[1:])):
                    weak[(int(episode), flipped)] = part
            hit = (eps >= 0) & (sims >= floor)
            row = np.nonzero(hit)[0]
            ep, tq = eps[hit], query_times[row]
            tr, sim = ref_times[hit], sims[hit]
            for episode in np.unique(ep):
                mine = ep == episode
                pairs[(int(episode), flipped)] = _distinct(tq[mine], tr[mine], sim[mine])
        return pairs

    def pairs_with(self, query: VideoFingerprint, episodes: Collection[int]) -> Pairs:
        """The exact frame pairs verification aligns, for the given episodes (every frame of the
        query against every stored frame of each); what a caller needing more than the best line
        per episode (``matcher.overlaps``) aligns itself."""
        if self.references is None:
            pairs = self._search(query.times_ms, query.vectors)
            return defaultdict(list, {k: v for k, v in pairs.items() if k[0] in set(episodes)})
        return self._verify(query, set(episodes))

    def _verify(self, query: VideoFingerprint, episodes: set[int]) -> Pairs:
        """Exact similarities of every query frame with each episode's stored descriptors: per
        query row its ``neighbours`` most similar reference frames of that episode that can be
        evidence (thresholded first: a chance look-alike episode has few such pairs)."""
        pairs: Pairs = defaultdict(list)
        floor, k = self.params.align.min_similarity, self.params.neighbours
        for episode_id, (ref_times, ref_vectors) in self.references(sorted(episodes)).items():
            ref_times = np.asarray(ref_times)
            for flipped, rows in ((False, query.vectors), (True, mirrored(query.vectors))):
                sims = rows @ np.asarray(ref_vectors, np.float32).T
                q_idx, r_idx = np.nonzero(sims >= floor)
                values = sims[q_idx, r_idx]
                order = np.lexsort((-values, q_idx))  # by query row, most similar first
                q_idx, r_idx, values = q_idx[order], r_idx[order], values[order]
                first = np.searchsorted(q_idx, q_idx)  # where each row's run starts
                keep = np.arange(len(q_idx)) - first < k
                pairs[(int(episode_id), flipped)] = _distinct(
                    query.times_ms[q_idx[keep]], ref_times[r_idx[keep]], values[keep])
        return pairs

    def refit(self, query: VideoFingerprint, match: Match, keyframes: Keyframes,
              ref_durations_ms: Mapping[int, int], *, step_ms: int, params: FitParams = FitParams(),
              starts: Sequence[Box] = ()) -> Match | None:
        """``match`` again with the copy's crop fitted on the reference's keyframes along its line
        (``matcher.crop_fit``): the exact pairs plus one fitted pair per whole-picture query frame,
        aligned and scored as usual. ``None`` when no box fits or the refitted line is not
        stronger than the match as found."""
        if query.views is None:
            return None
        full = query.full_view()
        times, vectors = full.times_ms, full.vectors
        if match.flipped:
            vectors = mirrored(vectors)
        fits = []
        for line in _lines_to_try(match.alignment):
            fit = fit_crop(times, vectors, keyframes, params=params, starts=starts, **line)
            if fit is not None:  # every line: near-static footage fits more than one surely
                fits.append((fit, line))
        if not fits:
            return None
        fit, line = max(fits, key=lambda f: f[0].similarity - params.speed_penalty * abs(math.log2(f[1]["slope"])))
        key = (match.episode_id, match.flipped)
        pairs = list(self.pairs_with(query, {match.episode_id}).get(key, []))
        pairs += fitted_pairs(times, vectors, keyframes, fit.box, params=params, **line)
        found = self._decide({key: pairs}, query, ref_durations_ms, step_ms)
        if not found or _strength(found[0].score, found[0].alignment) <= _strength(match.score, match.alignment):
            return None
        log.debug("episode %d: crop fitted at %s (median similarity %.3f, uncropped %.3f)",
                  match.episode_id, fit.box, fit.similarity, fit.uncropped)
        return found[0]

    def _decide(
        self, pairs: Pairs, query: VideoFingerprint, ref_durations_ms: Mapping[int, int], step_ms: int
    ) -> list[Match]:
        """Align each (episode, orientation)'s pairs, score, keep the better-supported orientation
        per episode (score × matched time: the score saturates at ``support_ms``, and a 3-s chance
        line of mirrored look-alike footage may score above a true 17-s line). ``step_ms`` is the
        spacing of the frames the pairs come from."""
        best: dict[int, Match] = {}
        for (episode_id, flipped), found in pairs.items():
            if len({tq for tq, _, _ in found}) < self.params.align.min_frames:
                continue  # chance hits on a large library: most episodes get one or two frames
            arr = np.asarray(found, dtype=np.float64)
            alignment = align(
                arr[:, 0],
                arr[:, 1],
                arr[:, 2],
                query_duration_ms=query.duration_ms,
                ref_duration_ms=ref_durations_ms.get(episode_id, query.duration_ms),
                step_ms=step_ms,
                params=self.params.align,
            )
            if alignment is None:
                continue
            score = score_alignment(alignment, self.params)
            if score > 0 and (episode_id not in best or _strength(score, alignment) > _strength(
                    best[episode_id].score, best[episode_id].alignment)):
                best[episode_id] = Match(episode_id, score, flipped, alignment)
        return sorted(best.values(), key=lambda m: -m.score)


def _lines_to_try(alignment: Alignment) -> list[dict]:
    """Lines a crop is fitted along: the match's own, and at normal speed through its first
    segment and from the episode's start. A crop that matches only a series' near-static title
    card gets a line of any slope through it (0.74 measured), and a copy of a whole episode
    starts where the episode starts — the commonest upload."""
    first = alignment.segments[0]
    lines = [(alignment.slope, alignment.offset_ms), (1.0, float(first.ref_start_ms - first.query_start_ms)), (1.0, 0.0)]
    kept: list[dict] = []
    for slope, offset in lines:
        if all(abs(slope - k["slope"]) > 0.02 or abs(offset - k["offset_ms"]) > 200 for k in kept):
            kept.append(dict(slope=slope, offset_ms=offset))
    return kept


def _strength(score: float, alignment: Alignment) -> float:
    return score * alignment.matched_ms


def _distinct(tq: np.ndarray, tr: np.ndarray, sim: np.ndarray) -> list[tuple[int, int, float]]:
    """One pair per (query time, reference time), the most similar: the views of a frame on
    both sides give the same time pair many times over, and the aligner only ever uses the best
    of them (it votes and picks inliers per query frame), so the rest is work for nothing."""
    order = np.lexsort((-sim, tr, tq))
    tq, tr, sim = tq[order], tr[order], sim[order]
    first = np.r_[True, (tq[1:] != tq[:-1]) | (tr[1:] != tr[:-1])] if len(tq) else np.zeros(0, bool)
    return list(zip(tq[first].tolist(), tr[first].tolist(), sim[first].astype(float).tolist()))
