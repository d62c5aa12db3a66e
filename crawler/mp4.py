"""ISO-BMFF (MP4/MOV) helpers for ranged sampling: find the index, plan byte ranges, remux.

How ranged sampling works (and why it is correct): the ``moov`` box holds every sample's byte
offset, size, timestamp and keyframe flag. Once it is fetched (at the front with ``faststart``,
else found by walking top-level box headers), PyAV reads that table from a sparse local file
(``Stream.index_entries``) without touching media bytes. We choose time windows, map them to the
byte ranges of their samples (video from the keyframe at or before the window start), fetch only
those, then stream-copy the packets that lie wholly inside fetched bytes into a new MP4 with their
original timestamps. The result is a valid file holding exactly the sampled seconds.
Fragmented MP4 (``mvex`` in ``moov``, samples indexed per ``moof``) is not sampled: the caller
downloads it whole, within the size cap.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from crawler.errors import MediaError

HEADER_PROBE = 16  # a box header is 8 bytes, 16 with a 64-bit size


@dataclass(frozen=True)
class Box:
    type: str
    offset: int
    size: int  # resolved: a size-0 box runs to the end of the file


def read_box(header: bytes, offset: int, file_size: int) -> Box | None:
    """The box whose header starts ``header`` (at ``offset``), or None when incomplete/invalid."""
    if len(header) < 8:
        return None
    size, kind = struct.unpack(">I4s", header[:8])
    if size == 1:
        if len(header) < 16:
            return None
        size = struct.unpack(">Q", header[8:16])[0]
    elif size == 0:
        size = file_size - offset
    if size < 8 or not kind.isascii():
        raise MediaError(f"corrupt MP4 box header at offset {offset}")
    return Box(kind.decode("ascii"), offset, size)


def is_fragmented(path: Path, moov: Box) -> bool:
    """Whether ``moov`` has an ``mvex`` child: samples are indexed in ``moof`` boxes instead."""
    with open(path, "rb") as handle:
        handle.seek(moov.offset)
        data = handle.read(moov.size)
    offset = 8
    while offset + 8 <= len(data):
        child = read_box(data[offset : offset + 16], offset, len(data))
        if child is None:
            return False
        if child.type == "mvex":
            return True
        offset += child.size
    return False


def looks_like_mp4(head: bytes) -> bool:
    return len(head) >= 8 and head[4:8] in (b"ftyp", b"moov", b"free", b"wide", b"mdat")


def merge(ranges: list[tuple[int, int]], gap: int = 0) -> list[tuple[int, int]]:
    """Sorted, merged half-open byte ranges; ranges closer than ``gap`` are joined."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def time_windows(
    duration: float, first_s: float, count: int, window_s: float
) -> list[tuple[float, float]]:
    """The first ``first_s`` seconds plus ``count`` windows spread evenly over the rest."""
    windows = [(0.0, min(first_s, duration))]
    rest = duration - first_s
    if count > 0 and rest > 0:
        step = rest / count
        for i in range(count):
            centre = first_s + (i + 0.5) * step
            start = max(first_s, centre - window_s / 2)
            windows.append((start, min(duration, start + window_s)))
    return windows


def index_duration(path: Path) -> float:
    """Duration in seconds from the container header alone."""
    with _open(path) as container:
        if container.duration is not None:
            return container.duration / av.time_base
        return max(
            float(s.duration * s.time_base) for s in container.streams if s.duration is not None
        )


def plan_ranges(
    path: Path, windows: list[tuple[float, float]], merge_gap: int = 0
) -> list[tuple[int, int]]:
    """Byte ranges holding the samples of ``windows`` (seconds), from the index in ``path``."""
    ranges: list[tuple[int, int]] = []
    with _open(path) as container:
        for stream in container.streams:
            if stream.type not in ("video", "audio"):
                continue
            entries = [
                (float(Fraction(e.timestamp) * stream.time_base), e.pos, e.size, e.is_keyframe)
                for e in stream.index_entries
                if e.size > 0
            ]
            if not entries:
                raise MediaError(f"{stream.type} stream has no sample index")
            for start, end in windows:
                if stream.type == "video":
                    keyframes = [t for t, _, _, key in entries if key and t <= start]
                    start = max(keyframes) if keyframes else entries[0][0]
                ranges += [(pos, pos + size) for t, pos, size, _ in entries if start <= t < end]
    return merge(ranges, gap=merge_gap)


class Coverage:
    """Answers "were all bytes [a, b) fetched?" for merged half-open ranges."""

    def __init__(self, ranges: list[tuple[int, int]]):
        self.ranges = merge(ranges)
        self._starts = [a for a, _ in self.ranges]

    def covers(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start) - 1
        return i >= 0 and self.ranges[i][1] >= end


def remux_covered(sparse: Path, fetched: list[tuple[int, int]], out: Path) -> int:
    """Stream-copy the packets lying wholly in ``fetched`` into ``out``; returns packets written.

    A video stream restarts only at a keyframe after a gap, so every written frame decodes.
    """
    coverage = Coverage(fetched)
    written = 0
    with _open(sparse) as source, av.open(str(out), "w", format="mp4") as target:
        streams = {
            s.index: target.add_stream_from_template(s)
            for s in source.streams
            if s.type in ("video", "audio")
        }
        keyframes = {
            s.index: {e.pos for e in s.index_entries if e.is_keyframe}
            for s in source.streams
            if s.index in streams
        }
        waiting_for_key = {index: True for index in streams}
        for packet in source.demux(*[source.streams[i] for i in streams]):
            index = packet.stream.index
            if packet.size == 0 or packet.pos is None or packet.pos < 0:
                continue
            if not coverage.covers(packet.pos, packet.pos + packet.size):
                waiting_for_key[index] = True
                continue
            is_video = packet.stream.type == "video"
            if is_video and waiting_for_key[index] and packet.pos not in keyframes[index]:
                continue
            waiting_for_key[index] = False
            packet.stream = streams[index]
            target.mux(packet)
            written += 1
    if written == 0:
        raise MediaError("no complete packets in the sampled ranges")
    return written


def _open(path: Path):
    try:
        return av.open(str(path), "r")
    except av.FFmpegError as exc:
        raise MediaError(f"cannot read MP4 index: {exc}") from exc
