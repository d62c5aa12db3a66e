"""The simulated short-video platform: a real aiohttp application with a Python API for seeding.

Endpoints (all JSON unless said):
- ``GET /api/search?q=&page=&per_page=``: live videos whose titles hold every word of ``q``,
  newest first; ``{"items", "page", "next_page"}``.
- ``GET /api/videos?cursor=&limit=``: uploads after ``cursor``, oldest first;
  ``{"items", "next_cursor", "has_more"}``. ``GET /api/users/{uid}/videos`` likewise per uploader.
- ``GET /api/videos/{id}``, ``GET /v/{id}`` (HTML page with ``<video>`` and og:video),
  ``GET /media/{id}.mp4`` (Range support): 404 once deleted, 410 once taken down. Uploads added
  with ``stream="hls"``/``"hls-fmp4"``/``"hls-single"``/``"dash"`` are served as such instead (``streams.py``):
  ``GET /hls/{id}/master.m3u8``, ``GET /dash/{id}/manifest.mpd`` and their segments.
- ``POST /api/videos`` (multipart: file, title, uploader_id, uploader_name): an upload.
- ``POST /api/complaints`` / ``GET /api/complaints``: the takedown protocol shared with notices/.
- ``GET /feed.rss``, ``/feed.atom``, ``/feed.json``: the newest uploads as feeds.

The fault injection (``faults.py``), the complaint desk (``complaints.py``) and the feeds
(``feeds.py``) are mixins of :class:`PlatformSim`, one concern a module; this module keeps the
videos, search, listings, pages, media and uploads.

Faults: per-request latency, random 503s and 429s (with ``Retry-After``), a request-rate limit
answering 429, a per-response media bandwidth, and one-shot injections
(:meth:`PlatformSim.inject`) for tests.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from crawler.simulated.complaints import Complaint, ComplaintDesk
from crawler.simulated.faults import TRUNCATE, FaultInjection, Faults, Injection
from crawler.simulated.feeds import Feeds
from crawler.simulated.media import probe_duration
from crawler.simulated.streams import StreamServing, parse_range
from crawler.simulated.streams import package as make_package
from crawler.simulated.videos import SimVideo

log = logging.getLogger(__name__)


class PlatformSim(FaultInjection, ComplaintDesk, Feeds, StreamServing):
    """State and behaviour of the platform; :meth:`make_app` serves it, :meth:`start` runs it.

    The app carries its platform as ``app[SIM]``, so code holding only the app can seed it.
    """

    def __init__(
        self, *, faults: Faults | None = None, takedown_delay_s: float = 0.0, seed: int = 0
    ):
        self.faults = faults or Faults()
        self.takedown_delay_s = takedown_delay_s
        self.videos: dict[str, SimVideo] = {}
        self.complaints: dict[str, Complaint] = {}  # by idempotency key
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range)
        self.bytes_served = 0
        self.throttled = 0  # requests answered 429
        self._injections: list[Injection] = []
        self._random = random.Random(seed)
        self._seq = 0
        self._bucket = (float("inf"), time.monotonic())  # starts full (capped at max_rps)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ---- Python API ----

    def add_video(
        self,
        data: bytes,
        *,
        title: str,
        uploader_id: str = "u1",
        uploader_name: str | None = None,
        uploaded_at: datetime | None = None,
        video_id: str | None = None,
        views: int = 0,
        stream: str = "mp4",
        package: dict[str, bytes] | None = None,
    ) -> SimVideo:
        """``stream``: ``mp4`` (progressive, Range), ``hls``, ``hls-fmp4``, ``hls-single``, ``dash``;
        ``package`` its files when already made (:func:`~crawler.simulated.streams.package`)."""
        self._seq += 1
        video = SimVideo(
            id=video_id or f"v{self._seq:05d}",
            seq=self._seq,
            title=title,
            uploader_id=uploader_id,
            uploader_name=uploader_name or uploader_id,
            uploaded_at=uploaded_at or datetime.now(UTC),
            data=data,
            duration_s=probe_duration(data),
            views=views,
            stream=stream,
            package=package or (None if stream == "mp4" else make_package(data, stream)),
        )
        self.videos[video.id] = video
        return video

    def seed_dir(self, directory: Path) -> list[SimVideo]:
        """Upload every video in ``directory``; a ``NAME.json`` beside ``NAME.mp4`` gives fields
        (``title``, ``uploader_id``, ``uploader_name``, ``stream``)."""
        added = []
        for path in sorted(directory.iterdir()):
            if path.suffix.lower() not in (".mp4", ".mov", ".m4v", ".webm", ".mkv"):
                continue
            sidecar = path.with_suffix(".json")
            fields = json.loads(sidecar.read_text("utf-8")) if sidecar.exists() else {}
            added.append(
                self.add_video(
                    path.read_bytes(),
                    title=fields.get("title", path.stem),
                    uploader_id=fields.get("uploader_id", "seed"),
                    uploader_name=fields.get("uploader_name"),
                    stream=fields.get("stream", "mp4"),
                )
            )
        return added

    def delete(self, video_id: str) -> None:
        self.videos[video_id].state = "deleted"

    def take_down(self, video_id: str) -> None:
        self.videos[video_id].state = "taken_down"

    def inject(self, prefix: str, **kwargs) -> None:
        """The next request whose path starts with ``prefix`` gets this fault (once)."""
        self._injections.append(Injection(prefix, **kwargs))

    def page_url(self, video: SimVideo) -> str:
        return f"{self.base_url}/v/{video.id}"

    def media_url(self, video: SimVideo) -> str:
        if video.stream != "mp4":
            return self.stream_url(video)
        return f"{self.base_url}/media/{video.id}.mp4"

    # ---- serving ----

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults_middleware], client_max_size=512 * 1024**2)
        app[SIM] = self
        app.add_routes(
            [
                web.get("/api/search", self._search),
                web.get("/api/videos", self._list_new),
                web.post("/api/videos", self._upload),
                web.get("/api/videos/{id}", self._video_json),
                web.get("/api/users/{uid}/videos", self._list_user),
                web.get("/v/{id}", self._video_page),
                web.get("/media/{name}", self._media),
                web.get("/hls/{id}/{name}", self._stream_file),
                web.get("/dash/{id}/{name}", self._stream_file),
                web.post("/api/complaints", self._complain),
                web.get("/api/complaints", self._complaints),
                web.get("/feed.rss", self._feed_rss),
                web.get("/feed.atom", self._feed_atom),
                web.get("/feed.json", self._feed_json),
            ]
        )
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.base_url = f"http://{host}:{bound[1]}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- handlers ----

    def _live(self) -> list[SimVideo]:
        return [v for v in self.videos.values() if v.state == "live"]

    def _json(self, video: SimVideo) -> dict:
        return {
            "id": video.id,
            "title": video.title,
            "url": self.page_url(video),
            "media_url": self.media_url(video),
            "uploader": {"id": video.uploader_id, "name": video.uploader_name},
            "uploaded_at": video.uploaded_at.isoformat(),
            "duration": video.duration_s,
            "views": video.views,
            "size": len(video.data),
        }

    def _get(self, request: web.Request, video_id: str) -> SimVideo:
        video = self.videos.get(video_id)
        if video is None or video.state == "deleted":
            raise web.HTTPNotFound(text="no such video")
        if video.state == "taken_down":
            raise web.HTTPGone(text="this video was removed after a copyright complaint")
        return video

    async def _search(self, request: web.Request) -> web.Response:
        words = request.query.get("q", "").lower().split()
        page, per_page = _int(request, "page", 1), _int(request, "per_page", 10)
        hits = [v for v in self._live() if words and all(w in v.title.lower() for w in words)]
        hits.sort(key=lambda v: v.seq, reverse=True)
        chunk = hits[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(hits)
        return web.json_response(
            {
                "items": [self._json(v) for v in chunk],
                "page": page,
                "next_page": page + 1 if more else None,
            }
        )

    def _after(self, request: web.Request, videos: list[SimVideo]) -> web.Response:
        cursor, limit = _int(request, "cursor", 0), _int(request, "limit", 20)
        later = sorted((v for v in videos if v.seq > cursor), key=lambda v: v.seq)
        chunk = later[:limit]
        return web.json_response(
            {
                "items": [self._json(v) for v in chunk],
                "next_cursor": str(chunk[-1].seq if chunk else cursor),
                "has_more": len(later) > limit,
            }
        )

    async def _list_new(self, request: web.Request) -> web.Response:
        return self._after(request, self._live())

    async def _list_user(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        return self._after(request, [v for v in self._live() if v.uploader_id == uid])

    async def _video_json(self, request: web.Request) -> web.Response:
        return web.json_response(self._json(self._get(request, request.match_info["id"])))

    async def _video_page(self, request: web.Request) -> web.Response:
        video = self._get(request, request.match_info["id"])
        title, media = html.escape(video.title), html.escape(self.media_url(video))
        kind = {"mp4": "video/mp4", "dash": "application/dash+xml"}.get(
            video.stream, "application/vnd.apple.mpegurl"
        )
        body = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}">
<meta property="og:type" content="video.other">
<meta property="og:video" content="{media}">
<meta property="og:video:type" content="{kind}">
</head><body><h1>{title}</h1><p class="uploader">{html.escape(video.uploader_name)}</p>
<video controls src="{media}"><source src="{media}" type="{kind}"></video>
</body></html>"""
        return web.Response(text=body, content_type="text/html")

    async def _media(self, request: web.Request) -> web.StreamResponse:
        video = self._get(request, request.match_info["name"].rsplit(".", 1)[0])
        data, size = video.data, len(video.data)
        start, end, status = 0, size - 1, 200
        header = request.headers.get("Range")
        if header:
            parsed = parse_range(header, size)
            if parsed is None:
                raise web.HTTPRequestRangeNotSatisfiable(
                    headers={"Content-Range": f"bytes */{size}"}
                )
            start, end, status = *parsed, 206
        response = web.StreamResponse(status=status)
        response.content_type = "video/mp4"
        response.content_length = end - start + 1
        response.headers["Accept-Ranges"] = "bytes"
        if status == 206:
            response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        body = data[start : end + 1]
        if request.get(TRUNCATE, False):
            body = body[: len(body) // 2]
        self.bytes_served += len(body)
        try:
            await self._send(response, body)
        except ConnectionResetError:  # the client went away mid-body (aiohttp's error subclasses it)
            log.info("%s: the client closed the connection mid-body", request.path)
            return response
        if request.get(TRUNCATE, False):
            request.transport.close()  # a dropped connection mid-body
            return response
        await response.write_eof()
        return response

    async def _send(self, response: web.StreamResponse, body: bytes) -> None:
        """Write the body, paced to ``faults.bandwidth_bps`` when set."""
        chunk = 64 * 1024
        for start in range(0, len(body), chunk):
            piece = body[start : start + chunk]
            await response.write(piece)
            if self.faults.bandwidth_bps > 0:
                await asyncio.sleep(len(piece) / self.faults.bandwidth_bps)

    async def _upload(self, request: web.Request) -> web.Response:
        try:
            form = await request.post()
        except ValueError as exc:
            return web.json_response({"error": f"bad multipart body: {exc}"}, status=400)
        upload, title = form.get("file"), form.get("title")
        if not isinstance(upload, web.FileField) or not isinstance(title, str) or not title:
            return web.json_response({"error": "need a file and a title"}, status=400)
        uploader_id = str(form.get("uploader_id") or "anonymous")
        video = self.add_video(
            upload.file.read(),
            title=title,
            uploader_id=uploader_id,
            uploader_name=str(form.get("uploader_name") or uploader_id),
        )
        return web.json_response(self._json(video), status=201)


def _int(request: web.Request, key: str, default: int) -> int:
    try:
        return max(0, int(request.query.get(key, default)))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{key} must be an integer") from None


SIM = web.AppKey("sim", PlatformSim)
