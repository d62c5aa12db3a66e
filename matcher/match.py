"""The match decision: search a query's frames in both orientations, align per episode, score.

One :class:`Match` per reference episode found, so a "full series" compilation yields one match
per episode it contains. Scores are in [0, 1] and comparable across queries: they combine how
similar the aligned frames are with how much matched time supports the line.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fingerprint.descriptor import mirrored
from fingerprint.extract import VideoFingerprint
from matcher.align import Alignment, AlignParams, align
from matcher.index import FrameIndex


@dataclass(frozen=True)
class MatchParams:
    neighbours: int = 16
    similarity_floor: float = 0.75  # similarity that counts as no evidence at all
    support_ms: int = 3000  # matched duration that earns full support
    align: AlignParams = AlignParams()


@dataclass(frozen=True)
class Match:
    episode_id: int
    score: float
    flipped: bool
    alignment: Alignment


def score_alignment(alignment: Alignment, params: MatchParams) -> float:
    """Similarity above the floor, scaled, times the support of the matched duration."""
    quality = (alignment.mean_similarity - params.similarity_floor) / (1 - params.similarity_floor)
    support = min(1.0, alignment.matched_ms / params.support_ms)
    return float(np.clip(quality, 0.0, 1.0) * support) ** 0.5


class QueryMatcher:
    """Matches query fingerprints against a :class:`FrameIndex`."""

    def __init__(self, index: FrameIndex, params: MatchParams = MatchParams()) -> None:
        self.index = index
        self.params = params

    def match(
        self, query: VideoFingerprint, ref_durations_ms: Mapping[int, int], *, step_ms: int
    ) -> list[Match]:
        """All episodes whose alignment scores above zero, best first."""
        if len(query) == 0 or self.index.size == 0:
            return []
        best: dict[int, Match] = {}
        for flipped, vectors in ((False, query.vectors), (True, mirrored(query.vectors))):
            neighbours = self.index.search(vectors, self.params.neighbours)
            pairs: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
            for row, tq in enumerate(query.times_ms):
                for ep, tr, sim in zip(
                    neighbours.episode_ids[row], neighbours.times_ms[row], neighbours.similarities[row]
                ):
                    if ep >= 0 and sim >= self.params.align.min_similarity:
                        pairs[int(ep)].append((int(tq), int(tr), float(sim)))
            for episode_id, found in pairs.items():
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
                if score > 0 and (episode_id not in best or score > best[episode_id].score):
                    best[episode_id] = Match(episode_id, score, flipped, alignment)
        return sorted(best.values(), key=lambda m: -m.score)
