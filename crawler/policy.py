"""How much of a video the crawler fetches: MP4 windows, caps, and the HLS/DASH limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamplingPolicy:
    sample_seconds: float = 20.0
    windows: int = 3
    window_seconds: float = 4.0
    size_cap: int = 64 * 1024 * 1024
    probe_bytes: int = 256 * 1024
    full_ratio: float = 0.8  # fetch the whole file when the plan would cover more than this
    merge_gap: int = 32 * 1024  # ranges closer than this are fetched as one request
    # HLS/DASH (crawler/streaming.py); ``size_cap`` bounds a stream sample's bytes too
    playlist_bytes: int = 2 * 1024 * 1024
    max_segments: int = 20_000  # in one playlist: more is refused before parsing
    stream_timeout_s: float = 120.0  # the whole stream: playlists and segments
    min_video_side: int = 256  # the cheapest variant at least this large (fingerprint max_side)
    sample_live: bool = False  # True: sample what a live playlist lists now; False: refuse
