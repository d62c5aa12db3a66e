"""DASH manifests (MPD) to :class:`~crawler.playlists.Track`\\s: a small, careful reader.

XML is parsed by ``defusedxml`` (no DTDs, entities or external references: a billion-laughs MPD
is refused, not expanded). Supported addressing: ``SegmentTemplate`` with ``$Number$``/``$Time$``
and a ``SegmentTimeline`` or a fixed ``duration``, and ``SegmentList``; attributes inherit from
AdaptationSet to Representation as the standard says, ``BaseURL`` resolves level by level.
A representation addressed only by ``SegmentBase`` (one file indexed by ``sidx``) is refused with
a clear error. Every period is read; each is an epoch of its own timestamps (re-anchored by the remux).
Expansion is bounded: ``r`` repeats and fixed-duration templates stop at ``max_segments``.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from crawler.errors import MediaError
from crawler.playlists import Resource, Segment, Track, Variant, choose_variant, has_video

_DURATION = re.compile(
    r"P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
_TEMPLATE = re.compile(r"\$(RepresentationID|Number|Time|Bandwidth)(%0(\d{1,2})d)?\$|\$\$")



def looks_like_mpd(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:512]
    return text.startswith((b"<MPD", b"<?xml")) and b"<MPD" in text


def parse_duration(value: str | None) -> float | None:
    """ISO 8601 durations as MPDs write them (``PT1H2M3.5S``)."""
    if not value:
        return None
    match = _DURATION.fullmatch(value.strip())
    if not match or not any(match.groupdict().values()):
        raise ValueError(f"bad ISO 8601 duration {value!r}")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def parse_mpd(text: str, url: str, *, max_segments: int, min_side: int) -> tuple[list[Track], bool]:
    """The video track (and the cheapest audio track, if separate) and whether it has ended."""
    try:
        root = fromstring(text, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MediaError(f"{url}: malformed DASH manifest ({exc})", url=url) from exc
    try:
        return _Reader(url, max_segments, min_side).read(_strip(root))
    except (ValueError, KeyError, ZeroDivisionError, OverflowError) as exc:
        raise MediaError(f"{url}: malformed DASH manifest ({exc})", url=url) from exc


def _strip(element: Element) -> Element:
    """Drop XML namespaces from tags (MPDs use the default namespace inconsistently)."""
    for node in element.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
    return element


class _Reader:
    def __init__(self, url: str, max_segments: int, min_side: int):
        self.url = url
        self.max_segments = max_segments
        self.min_side = min_side
        self.count = 0

    def read(self, root: Element) -> tuple[list[Track], bool]:
        if root.tag != "MPD":
            raise MediaError(f"{self.url}: not a DASH manifest (root <{root.tag}>)", url=self.url)
        ended = root.get("type", "static") == "static"
        total = parse_duration(root.get("mediaPresentationDuration"))
        base = _base(self.url, root)
        periods = root.findall("Period")
        if not periods:
            raise MediaError(f"{self.url}: DASH manifest without a Period", url=self.url)
        video: list[Segment] = []
        audio: list[Segment] = []
        clock = 0.0
        for number, period in enumerate(periods):
            start = parse_duration(period.get("start"))
            clock = start if start is not None else clock
            length = parse_duration(period.get("duration"))
            if length is None and number + 1 < len(periods):
                length = parse_duration(periods[number + 1].get("start"))
                length = None if length is None else length - clock
            if length is None and total is not None:
                length = total - clock
            period_base = _base(base, period)
            sets = period.findall("AdaptationSet")
            picked = self._pick(sets, "video", period_base)
            if picked is None:
                raise MediaError(f"{self.url}: period {number} has no video", url=self.url)
            video += self._segments(*picked, clock, length, number)
            heard = self._pick(sets, "audio", period_base)
            if heard is not None:
                audio += self._segments(*heard, clock, length, number)
            clock += length or max((s.end_s for s in video), default=clock) - clock
        tracks = [Track("video", tuple(video), ended=ended)]
        if audio:
            tracks.append(Track("audio", tuple(audio), ended=ended))
        return tracks, ended

    def _pick(self, sets: list[Element], kind: str, base: str):
        """(adaptation set, representation, base URL) of the chosen ``kind``, or None."""
        candidates = []
        for aset in sets:
            for rep in aset.findall("Representation") or []:
                if _kind(aset, rep) != kind:
                    continue
                width, height = rep.get("width") or aset.get("width"), rep.get("height")
                height = height or aset.get("height")
                size = (int(width), int(height)) if width and height else None
                bandwidth = int(rep.get("bandwidth") or 0)
                candidates.append((Variant(str(len(candidates)), bandwidth, size, None), aset, rep))
        if not candidates:
            return None
        if kind == "video":
            best = choose_variant([c[0] for c in candidates], self.min_side, self.url)
        else:
            best = min((c[0] for c in candidates), key=lambda v: v.bandwidth)
        _, aset, rep = candidates[int(best.url)]
        return aset, rep, _base(_base(base, aset), rep)

    def _segments(self, aset, rep, base, period_start, period_s, epoch) -> list[Segment]:
        def find(tag: str) -> list[Element]:
            return [e for e in (rep.find(tag), aset.find(tag)) if e is not None]

        values = {"RepresentationID": rep.get("id", ""), "Bandwidth": rep.get("bandwidth", "0")}
        if templates := find("SegmentTemplate"):
            segments = self._template(templates, base, values, period_start, period_s)
        elif lists := find("SegmentList"):
            segments = self._list(lists, base, period_start)
        elif find("SegmentBase") or rep.find("BaseURL") is not None:
            raise MediaError(
                f"{self.url}: DASH representation {values['RepresentationID']!r} is one file "
                "indexed by SegmentBase/sidx; not supported",
                url=self.url,
            )
        else:
            raise MediaError(f"{self.url}: DASH representation without segments", url=self.url)
        if not segments:
            raise MediaError(f"{self.url}: DASH representation without segments", url=self.url)
        return [replace(s, epoch=epoch) for s in segments]

    def _template(self, templates, base, values, period_start, period_s) -> list[Segment]:
        attr = _inherit(templates)
        timescale = int(attr.get("timescale", "1"))
        offset = int(attr.get("presentationTimeOffset", "0"))
        number = int(attr.get("startNumber", "1"))
        media = attr.get("media")
        if not media or timescale <= 0:
            raise ValueError("SegmentTemplate needs media and a positive timescale")
        init = None
        if attr.get("initialization"):
            init = Resource(urljoin(base, _fill(attr["initialization"], values)))
        timeline = next((t.find("SegmentTimeline") for t in templates if t.find("SegmentTimeline")
                         is not None), None)
        times: list[tuple[int, int]] = []  # (t, d) in timescale units
        if timeline is not None:
            t = 0
            for s in timeline.findall("S"):
                t = int(s.get("t", t))
                d, r = int(s.get("d", "0")), int(s.get("r", "0"))
                if d <= 0:
                    raise ValueError("SegmentTimeline entry without a positive d")
                if r < 0:
                    if period_s is None:
                        raise ValueError("open-ended SegmentTimeline repeat without a duration")
                    r = math.ceil((period_s * timescale + offset - t) / d) - 1
                for _ in range(r + 1):
                    self._count()
                    times.append((t, d))
                    t += d
        elif attr.get("duration"):
            d = int(attr["duration"])
            if period_s is None:
                raise MediaError(f"{self.url}: live DASH template without a duration", url=self.url)
            if d <= 0:
                raise ValueError("SegmentTemplate duration must be positive")
            for i in range(math.ceil(period_s * timescale / d)):
                self._count()
                times.append((offset + i * d, d))
        else:
            raise ValueError("SegmentTemplate without SegmentTimeline or duration")
        segments = []
        for i, (t, d) in enumerate(times):
            name = _fill(media, {**values, "Number": str(number + i), "Time": str(t)})
            start = period_start + (t - offset) / timescale
            segments.append(Segment(Resource(urljoin(base, name)), start, d / timescale, init))
        return segments

    def _list(self, lists, base, period_start) -> list[Segment]:
        attr = _inherit(lists)
        timescale = int(attr.get("timescale", "1"))
        d = int(attr.get("duration", "0"))
        if d <= 0 or timescale <= 0:
            raise ValueError("SegmentList needs a positive duration and timescale")
        init = None
        for element in lists:
            node = element.find("Initialization")
            if node is not None and node.get("sourceURL"):
                init = Resource(urljoin(base, node.get("sourceURL")), _range(node.get("range")))
                break
        segments = []
        for i, node in enumerate(lists[0].findall("SegmentURL")):
            self._count()
            target = urljoin(base, node.get("media") or "")
            resource = Resource(target, _range(node.get("mediaRange")))
            segments.append(Segment(resource, period_start + i * d / timescale, d / timescale, init))
        return segments

    def _count(self) -> None:
        self.count += 1
        if self.count > self.max_segments:
            raise MediaError(
                f"{self.url}: DASH manifest lists more than the cap of {self.max_segments} segments",
                url=self.url,
            )


def _kind(aset: Element, rep: Element) -> str | None:
    for value in (rep.get("mimeType"), aset.get("mimeType"), aset.get("contentType")):
        if value:
            return value.split("/", 1)[0]
    video = has_video(rep.get("codecs") or aset.get("codecs"))
    return None if video is None else ("video" if video else "audio")


def _inherit(elements: list[Element]) -> dict[str, str]:
    """Attributes of the most specific element first, then what the outer one adds."""
    merged: dict[str, str] = {}
    for element in reversed(elements):
        merged.update(element.attrib)
    return merged


def _base(base: str, element: Element) -> str:
    node = element.find("BaseURL")
    return urljoin(base, node.text.strip()) if node is not None and node.text else base


def _fill(template: str, values: dict[str, str]) -> str:
    def sub(match: re.Match) -> str:
        if match[0] == "$$":
            return "$"
        value = values.get(match[1], "")
        return value.zfill(int(match[3])) if match[3] else value

    return _TEMPLATE.sub(sub, template)


def _range(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    start, _, end = value.partition("-")
    if not start.isdigit() or not end.isdigit() or int(end) < int(start):
        raise ValueError(f"bad byte range {value!r}")
    return int(start), int(end) + 1
