"""FAISS frame index, temporal alignment and the match decision. Pure: no database."""
from matcher.align import Alignment, Segment, align
from matcher.index import FaissFrameIndex, FrameIndex, IndexError_
from matcher.match import Match, QueryMatcher

__all__ = [
    "Alignment",
    "FaissFrameIndex",
    "FrameIndex",
    "IndexError_",
    "Match",
    "QueryMatcher",
    "Segment",
    "align",
]
