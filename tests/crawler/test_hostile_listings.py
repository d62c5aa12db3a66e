"""The hostile corpus as a platform serves it: titles and uploader names in the simulated
platform's JSON listings, its RSS, Atom and JSON feeds, read by the real plugin parsers.

An uploader controls their title and name, so the corpus (``tests/hostile_corpus.py``: HTML/JS,
CRLF + ``Bcc:``, NUL/ESC/C1, bidi controls, 100 000 characters, header and formula syntax) is
what a listing may carry — in a feed, NUL and ESC even make the XML ill-formed. Every upload must
still come out as exactly one candidate (none lost, none split, none added by markup in a
title), its text kept as the uploader set it apart from what a database cannot hold (NUL shown
as U+FFFD, clipped to the column with "…"), and a search by a word of a hostile title finds it.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.feed import FeedPlatform
from crawler.models import FIELD_LIMITS
from crawler.simulated.platform import SimulatedPlatform
from tests.hostile_corpus import CORPUS

pytestmark = pytest.mark.asyncio

PLUGINS = [
    (SimulatedPlatform, None),
    (FeedPlatform, "feed.rss"),
    (FeedPlatform, "feed.atom"),
    (FeedPlatform, "feed.json"),
]


def _options(sim, feed: str | None) -> dict:
    return {"base_url": sim.base_url} if feed is None else {"urls": [f"{sim.base_url}/{feed}"]}


def _seed(sim, media) -> dict[str, object]:
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    data = media["short"].read_bytes()
    return {
        name: sim.add_video(data, title=f"霸道总裁 {payload}", uploader_id=f"up-{name}",
                            uploader_name=payload[::-1], uploaded_at=start + timedelta(minutes=i))
        for i, (name, payload) in enumerate(CORPUS.items())
    }


def _close(got: str, sent: str, limit: int, xml: bool) -> None:
    assert len(got) <= limit and "\x00" not in got
    if len(sent) > limit:
        assert got.endswith("…") and len(got) == limit
    expected = sent.replace("\x00", "\ufffd")
    if xml:  # XML cannot carry C0 controls and parsers map line ends and C1: compare the words
        expected, got = ("".join(ch for ch in t if ch.isalnum()) for t in (expected, got))
    assert got[:40].strip() == expected[:40].strip(), (got[:60], expected[:60])


@pytest.mark.parametrize(("plugin", "feed"), PLUGINS, ids=["simulated", "rss", "atom", "json_feed"])
async def test_hostile_titles_and_names_are_one_candidate_each(
        plugin, feed, sim, media, http_session, state, config) -> None:
    videos = _seed(sim, media)
    platform = plugin(http_session, config(**_options(sim, feed)), state)
    found = [c async for page in platform.new_uploads() for c in page.candidates]
    by_id = {c.video_id: c for c in found}
    assert len(found) == len(by_id), "an upload came out twice"
    if feed is not None:  # a feed's id is its guid/id; the simulated API's is the video id
        by_id = {c.url: c for c in found}
        wanted = {sim.page_url(v): (name, v) for name, v in videos.items()}
    else:
        wanted = {v.id: (name, v) for name, v in videos.items()}
    assert set(by_id) == set(wanted), "an upload was lost or one was made up"
    xml = feed in ("feed.rss", "feed.atom")
    for key, (name, video) in wanted.items():
        candidate = by_id[key]
        _close(candidate.title, video.title, FIELD_LIMITS["title"], xml)
        _close(candidate.uploader_name or "", video.uploader_name, FIELD_LIMITS["uploader_name"], xml)
    hits = [c async for page in platform.search("霸道总裁 HYPERLINK") for c in page.candidates] if (
        feed is not None) else []
    if feed is not None:
        assert [c.url for c in hits] == [sim.page_url(videos["formula"])]
