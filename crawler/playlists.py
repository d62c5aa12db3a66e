"""Adaptive-stream playlists as plain data: HLS (m3u8, read by the ``m3u8`` package) and the
shared segment types the DASH reader (``crawler/mpd.py``) fills in too.

Parsing is pure (text in, data out) and bounded: the text is capped by the caller, the number of
segments is counted before the parser builds objects for them, and every duration must be a
positive finite number. Fetching, the address guard and the caps on bytes and time live in
``crawler/streaming.py``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import m3u8

from crawler.errors import MediaError

#: Codec prefixes (RFC 6381 ``CODECS`` / DASH ``codecs``) of video the fingerprinter decodes.
VIDEO_CODECS = ("avc1", "avc3", "hvc1", "hev1", "vp09", "vp08", "av01", "mp4v", "vp9", "vp8")
AUDIO_CODECS = ("mp4a", "opus", "ac-3", "ec-3", "flac", "mp3")


@dataclass(frozen=True)
class Resource:
    """A URL and, when only part of it is meant, the half-open byte range ``[start, end)``."""

    url: str
    byterange: tuple[int, int] | None = None

    def range_header(self) -> dict[str, str]:
        if self.byterange is None:
            return {}
        return {"Range": f"bytes={self.byterange[0]}-{self.byterange[1] - 1}"}


@dataclass(frozen=True)
class Segment:
    """One media segment at its place on the presentation timeline (seconds)."""

    resource: Resource
    start_s: float
    duration_s: float
    init: Resource | None = None  # fMP4/CMAF: the initialization segment decoded before it
    epoch: int = 0  # timestamps restart with each epoch (HLS discontinuity, a new DASH period)

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class Track:
    """A sequence of segments: ``muxed`` (video with its audio, e.g. MPEG-TS), ``video`` or
    ``audio`` (separate renditions, as DASH and some HLS masters serve them)."""

    kind: Literal["muxed", "video", "audio"]
    segments: tuple[Segment, ...]
    ended: bool = True  # False: a live playlist that may still grow

    @property
    def duration_s(self) -> float:
        return max((s.end_s for s in self.segments), default=0.0)


@dataclass(frozen=True)
class Variant:
    """One entry of an HLS master playlist (or a DASH representation being chosen)."""

    url: str
    bandwidth: int
    resolution: tuple[int, int] | None
    codecs: str | None
    audio_url: str | None = None  # the default audio rendition of its group, if separate


def has_video(codecs: str | None) -> bool | None:
    """Whether a codecs list names video (None: it does not say)."""
    if not codecs:
        return None
    names = [c.strip().lower() for c in codecs.split(",")]
    if any(n.startswith(VIDEO_CODECS) for n in names):
        return True
    return None if not all(n.startswith(AUDIO_CODECS) for n in names) else False


def choose_variant(variants: list[Variant], min_side: int, what: str) -> Variant:
    """The cheapest variant with video whose longer side is at least ``min_side`` pixels (what the
    fingerprinter scales frames down to: more is wasted bytes); when none is that large, the
    largest. Variants that say they are audio-only are skipped."""
    video = [v for v in variants if has_video(v.codecs) is not False]
    if not video:
        raise MediaError(f"{what}: no video variant (only audio)", url=what)
    big_enough = [v for v in video if v.resolution is None or max(v.resolution) >= min_side]
    if big_enough:
        return min(big_enough, key=lambda v: (v.bandwidth, v.resolution is None))
    return max(video, key=lambda v: (max(v.resolution or (0, 0)), -v.bandwidth))


def looks_like_hls(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#EXTM3U")


def count_segments(text: str) -> int:
    return text.count("#EXTINF")


def parse_hls(text: str, url: str, *, max_segments: int) -> list[Variant] | Track:
    """A master playlist's variants, or a media playlist's segments (with absolute URLs)."""
    if not looks_like_hls(text[:64].encode("utf-8", "replace")):
        raise MediaError(f"{url}: not an HLS playlist (no #EXTM3U header)", url=url)
    found = count_segments(text)
    if found > max_segments:
        raise MediaError(
            f"{url}: HLS playlist lists {found} segments, more than the cap {max_segments}", url=url
        )
    try:
        playlist = m3u8.loads(text, uri=url)
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise MediaError(f"{url}: malformed HLS playlist ({exc})", url=url) from exc
    if playlist.is_variant:
        return _variants(playlist, url)
    return _media(playlist, url)


def _variants(playlist: m3u8.M3U8, url: str) -> list[Variant]:
    variants = []
    for entry in playlist.playlists:
        info = entry.stream_info
        audio = None
        for media in entry.media:
            if media.type == "AUDIO" and media.uri and (audio is None or media.default == "YES"):
                audio = media.absolute_uri
        variants.append(
            Variant(
                url=entry.absolute_uri,
                bandwidth=int(info.bandwidth or info.average_bandwidth or 0),
                resolution=tuple(info.resolution) if info.resolution else None,
                codecs=info.codecs,
                audio_url=audio,
            )
        )
    if not variants:
        raise MediaError(f"{url}: HLS master playlist without variants", url=url)
    return variants


def _media(playlist: m3u8.M3U8, url: str) -> Track:
    segments: list[Segment] = []
    clock = 0.0
    previous: tuple[str, int] | None = None  # (uri, end) for byteranges without an offset
    epoch = 0
    for index, entry in enumerate(playlist.segments):
        where = f"{url}: segment {index}"
        epoch += bool(entry.discontinuity) and index > 0
        if entry.key is not None and (entry.key.method or "NONE").upper() != "NONE":
            raise MediaError(f"{where} is encrypted ({entry.key.method}); not supported", url=url)
        duration = float(entry.duration or 0)
        if not math.isfinite(duration) or duration <= 0 or duration > 3600:
            raise MediaError(f"{where} has an invalid duration {entry.duration!r}", url=url)
        target = entry.absolute_uri
        byterange = _byterange(entry.byterange, target, previous, where)
        previous = (target, byterange[1]) if byterange else None
        init = None
        if entry.init_section is not None:
            init_url = entry.init_section.absolute_uri
            init = Resource(init_url, _byterange(entry.init_section.byterange, init_url, None, where))
        segments.append(
            Segment(
                Resource(target, byterange),
                clock,
                duration,
                init=init,
                epoch=epoch,
            )
        )
        clock += duration
    if not segments:
        raise MediaError(f"{url}: HLS media playlist without segments", url=url)
    ended = bool(playlist.is_endlist) or (playlist.playlist_type or "").upper() == "VOD"
    return Track("muxed", tuple(segments), ended=ended)


_BYTERANGE = re.compile(r"\s*(\d+)\s*(?:@\s*(\d+))?\s*")


def _byterange(
    value: str | None, uri: str, previous: tuple[str, int] | None, where: str
) -> tuple[int, int] | None:
    """``EXT-X-BYTERANGE`` ``length[@offset]`` as a half-open range."""
    if not value:
        return None
    match = _BYTERANGE.fullmatch(str(value))
    if not match or int(match[1]) == 0:
        raise MediaError(f"{where}: malformed byte range {value!r}")
    length = int(match[1])
    if match[2] is not None:
        start = int(match[2])
    elif previous is not None and previous[0] == uri:
        start = previous[1]
    else:
        raise MediaError(f"{where}: byte range {value!r} without an offset to follow")
    return start, start + length


def select_segments(
    track: Track, windows: list[tuple[float, float]], full_ratio: float
) -> tuple[list[Segment], bool]:
    """The segments overlapping any window, and whether that is every segment (``full``)."""
    chosen = [
        s for s in track.segments if any(s.start_s < end and start < s.end_s for start, end in windows)
    ]
    covered = sum(s.duration_s for s in chosen)
    if covered > full_ratio * track.duration_s or len(chosen) == len(track.segments):
        return list(track.segments), True
    return chosen, False
