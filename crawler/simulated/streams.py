"""Uploads served as HLS or DASH by the simulated platform, as real platforms and pirate sites do.

:func:`package` turns an upload's MP4 into a stream package (file name → bytes) with FFmpeg's own
``hls`` and ``dash`` muxers through PyAV, stream-copied (no re-encode), 1-second segments at the
upload's keyframes: HLS as MPEG-TS segments under a master playlist with one video variant,
``hls-fmp4`` as fMP4 (CMAF) segments with an ``EXT-X-MAP`` init, ``hls-single`` as one MPEG-TS
file addressed by ``EXT-X-BYTERANGE``, DASH as a ``SegmentTemplate`` +
``SegmentTimeline`` manifest with separate video and audio adaptation sets.

:class:`StreamServing` is the platform's mixin serving ``GET /hls/{id}/{name}`` and
``GET /dash/{id}/{name}`` (Range supported, 404/410 like ``/media``).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import av
from aiohttp import web

#: what each kind's entry file is called
ENTRY = {"hls": "master.m3u8", "hls-fmp4": "master.m3u8", "hls-single": "master.m3u8",
         "dash": "manifest.mpd"}
TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
}


def package(data: bytes, kind: str, segment_s: float = 1.0) -> dict[str, bytes]:
    """The files of ``data`` (an MP4) served as ``kind`` (``hls``, ``hls-fmp4`` or ``dash``)."""
    with tempfile.TemporaryDirectory(prefix="sim-stream-") as tmp:
        root = Path(tmp)
        source = root / "source.mp4"
        source.write_bytes(data)
        out = root / "out"
        out.mkdir()
        if kind == "dash":
            target, fmt = out / "manifest.mpd", "dash"
            options = {"seg_duration": str(segment_s), "use_template": "1", "use_timeline": "1"}
        else:
            target, fmt = out / "index.m3u8", "hls"
            options = {"hls_time": str(segment_s), "hls_playlist_type": "vod"}
            if kind == "hls-single":  # one .ts file, segments as EXT-X-BYTERANGE
                options |= {"hls_flags": "single_file",
                            "hls_segment_filename": str(out / "all.ts")}
            elif kind == "hls-fmp4":
                options |= {"hls_segment_type": "fmp4", "hls_fmp4_init_filename": "init.mp4",
                            "hls_segment_filename": str(out / "seg%05d.m4s")}
            else:
                options["hls_segment_filename"] = str(out / "seg%05d.ts")
        width = height = 0
        with av.open(str(source)) as src, av.open(str(target), "w", format=fmt,
                                                  options=options) as dst:
            streams = {s.index: dst.add_stream_from_template(s)
                       for s in src.streams if s.type in ("video", "audio")}
            video = next(s for s in src.streams if s.type == "video")
            width, height = video.codec_context.width, video.codec_context.height
            for packet in src.demux(*[src.streams[i] for i in streams]):
                if packet.dts is None:
                    continue
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
        files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    if kind != "dash":
        files["master.m3u8"] = (
            "#EXTM3U\n#EXT-X-VERSION:3\n"
            f'#EXT-X-STREAM-INF:BANDWIDTH={8 * len(data)},RESOLUTION={width}x{height},'
            'CODECS="avc1.42c00d,mp4a.40.2"\nindex.m3u8\n'
        ).encode()
    return files


class StreamServing:
    """Mixin of :class:`~crawler.simulated.server.PlatformSim`: the stream packages' routes."""

    def stream_url(self, video) -> str:
        prefix = "dash" if video.stream == "dash" else "hls"
        return f"{self.base_url}/{prefix}/{video.id}/{ENTRY[video.stream]}"

    async def _stream_file(self, request: web.Request) -> web.StreamResponse:
        video = self._get(request, request.match_info["id"])
        name = request.match_info["name"]
        body = (video.package or {}).get(name)
        if body is None:
            raise web.HTTPNotFound(text="no such stream file")
        size, status = len(body), 200
        start, end = 0, size - 1
        header = request.headers.get("Range")
        if header:
            parsed = parse_range(header, size)
            if parsed is None:
                raise web.HTTPRequestRangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
            (start, end), status = parsed, 206
        response = web.Response(status=status, body=body[start : end + 1])
        response.content_type = TYPES.get(Path(name).suffix, "application/octet-stream")
        response.headers["Accept-Ranges"] = "bytes"
        if status == 206:
            response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self.bytes_served += end - start + 1
        return response


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """A single ``bytes=`` range as inclusive (start, end), or None when unsatisfiable."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not match or (not match[1] and not match[2]):
        return None
    if not match[1]:
        length = int(match[2])
        return (max(0, size - length), size - 1) if length else None
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    return (start, end) if start <= end else None
