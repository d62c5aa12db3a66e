"""Stream-copy fetched HLS/DASH segments into one MP4 that keeps their real time positions.

Each segment is opened on its own (after its initialization segment, for fMP4/CMAF), checked —
it must be readable media, carry the track's video (or audio) in the codec the stream began with,
and the first video must decode — and its packets are copied with their timestamps shifted by one
offset per track: the first segment's first video picture lands at its playlist time (0 s), and a
segment in a new epoch (after an HLS discontinuity, in a new DASH period) re-anchors at its own
playlist time. So a window sampled at 40 s of the stream sits at 40 s of the sample, as with MP4
range sampling (``crawler/mp4.py``), and matching locates the copied scene in time. Audio priming before 0 s is dropped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av

from crawler.errors import MediaError
from crawler.playlists import Segment

_OWNS = {"muxed": ("video", "audio"), "video": ("video",), "audio": ("audio",)}


@dataclass(frozen=True)
class Fetched:
    """A segment on disk: ``index`` is its place in the playlist, for messages and gaps."""

    segment: Segment
    index: int
    path: Path
    init: Path | None = None


def remux_segments(tracks: list[tuple[str, list[Fetched]]], out: Path) -> int:
    """Write ``tracks`` (kind, fetched segments in order) into ``out``; returns packets written."""
    written = 0
    with av.open(str(out), "w", format="mp4") as target:
        outputs: dict[str, av.stream.Stream] = {}
        codecs: dict[str, str] = {}
        owned: list[tuple[str, ...]] = []
        for kind, fetched in tracks:  # every output stream must exist before the first packet
            with _open(fetched[0]) as container:
                found = _streams(container, _OWNS[kind], fetched[0])
                if kind != "audio" and "video" not in found:
                    raise _error(fetched[0], "has no video stream")
                mine = tuple(t for t in found if t not in outputs)
                for media_type in mine:
                    _check_decoder(found[media_type], fetched[0])
                    outputs[media_type] = target.add_stream_from_template(found[media_type])
                    codecs[media_type] = found[media_type].codec_context.name
                if "video" in mine:
                    _check_decodes(container, found["video"], fetched[0])
                owned.append(mine)
        anchor: float | None = None
        for (_kind, fetched), mine in zip(tracks, owned, strict=True):
            if not mine:
                continue
            shift, previous, waiting, epoch = 0.0, None, True, 0
            last: dict[str, float] = {}
            for item in fetched:
                with _open(item) as container:
                    packets, first = _packets(container, item, mine, codecs)
                    if previous is None:
                        if anchor is None:
                            anchor = first - item.segment.start_s if first is not None else 0.0
                        shift = anchor
                    elif item.segment.epoch != epoch and first is not None:
                        shift = first - item.segment.start_s  # timestamps restarted
                    if previous is not None and item.index != previous + 1:
                        waiting = True  # a gap: video restarts at a keyframe
                    previous, epoch = item.index, item.segment.epoch
                    for packet in packets:
                        media_type = packet.stream.type
                        tb = packet.time_base
                        offset = round(shift / tb)
                        packet.pts -= offset
                        packet.dts -= offset
                        when = float(packet.dts * tb)
                        if media_type == "audio" and packet.pts < 0:
                            continue  # priming before the first picture
                        if media_type == "video":
                            if waiting and not packet.is_keyframe:
                                continue
                            waiting = False
                        if when <= last.get(media_type, float("-inf")):
                            continue
                        last[media_type] = when
                        packet.stream = outputs[media_type]
                        target.mux(packet)
                        written += 1
    if written == 0:
        raise MediaError("no complete packets in the sampled segments")
    return written


def _packets(container, item: Fetched, mine: tuple[str, ...], codecs: dict[str, str]):
    """The segment's packets of the owned stream types, and its first video (or audio) time."""
    found = _streams(container, mine, item)
    for media_type in mine:
        stream = found.get(media_type)
        if stream is None:
            if media_type == "video":
                raise _error(item, "has no video stream")
            continue
        if stream.codec_context.name != codecs[media_type]:
            raise _error(
                item,
                f"carries {media_type} in {stream.codec_context.name}; "
                f"the stream began with {codecs[media_type]}",
            )
    try:
        packets = [
            p
            for p in container.demux(*found.values())
            if p.size > 0 and p.pts is not None and p.dts is not None
        ]
    except av.FFmpegError as exc:
        raise _error(item, f"breaks off ({exc})") from exc
    primary = "video" if "video" in found else "audio"
    times = [float(p.pts * p.time_base) for p in packets if p.stream.type == primary]
    return packets, (min(times) if times else None)


def _streams(container, wanted: tuple[str, ...], item: Fetched) -> dict:
    found = {}
    for stream in container.streams:
        if stream.type in wanted and stream.type not in found:
            found[stream.type] = stream
    if not found:
        kinds = ", ".join(sorted({s.type for s in container.streams})) or "nothing"
        raise _error(item, f"holds no {'/'.join(wanted)} (found {kinds})")
    return found


def _check_decoder(stream, item: Fetched) -> None:
    name = stream.codec_context.name
    try:
        av.codec.Codec(name, "r")
    except (av.codec.codec.UnknownCodecError, ValueError) as exc:
        raise _error(item, f"uses codec {name!r}, which cannot be decoded") from exc


def _check_decodes(container, stream, item: Fetched) -> None:
    """The first video picture must decode: a readable container with garbage inside is not media."""
    try:
        for packet in container.demux(stream):
            for _frame in packet.decode():
                return
    except av.FFmpegError as exc:
        raise _error(item, f"video does not decode ({exc})") from exc
    raise _error(item, "video does not decode (no picture)")


def _open(item: Fetched):
    data = (item.init.read_bytes() if item.init else b"") + item.path.read_bytes()
    try:
        return av.open(io.BytesIO(data), "r")
    except av.FFmpegError as exc:
        raise _error(item, f"is not readable media ({exc})") from exc


def _error(item: Fetched, what: str) -> MediaError:
    url = item.segment.resource.url
    return MediaError(f"segment {item.index} ({url}) {what}", url=url)
