"""Contract every platform plugin passes, against local servers speaking each protocol.

Each plugin's cases are data: for every seeded upload, the fields the plugin must report
(URL → expected fields). The behaviour tests are shared through one mixin.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import av
import pytest

from crawler.errors import CrawlError, UnsupportedOperation
from crawler.feed import FeedPlatform
from crawler.netguard import AddressGuard, guarded_session
from crawler.simulated.platform import SimulatedPlatform
from crawler.ytdlp import YtDlpPlatform

pytestmark = pytest.mark.asyncio

UPLOADS = [  # what pirates and innocents upload
    {
        "title": "霸道总裁爱上我 全集",
        "uploader_id": "pirate1",
        "uploader_name": "剧场搬运工",
        "media": "faststart",
        "views": 1200,
    },
    {
        "title": "霸道总裁爱上我 第3集",
        "uploader_id": "pirate2",
        "uploader_name": "小剧迷",
        "media": "short",
        "views": 35,
    },
    {
        "title": "我的猫 日常",
        "uploader_id": "cat",
        "uploader_name": "猫主子",
        "media": "other",
        "views": 7,
    },
]


def seed(sim, media):
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    return [
        sim.add_video(
            media[u["media"]].read_bytes(),
            title=u["title"],
            uploader_id=u["uploader_id"],
            uploader_name=u["uploader_name"],
            views=u["views"],
            uploaded_at=start + timedelta(minutes=i),
        )
        for i, u in enumerate(UPLOADS)
    ]


class PlatformContract:
    platform_cls: type
    can_search = True

    def options(self, sim) -> dict:
        raise NotImplementedError

    def expected(self, sim, video) -> dict:
        """URL → fields this plugin must report for ``video``."""
        raise NotImplementedError

    def make(self, sim, http_session, state, config):
        return self.platform_cls(http_session, config(**self.options(sim)), state)

    async def collect(self, pages):
        return [c async for page in pages for c in page.candidates]

    async def test_new_uploads_report_the_expected_fields(
        self, sim, media, http_session, state, config
    ):
        videos = seed(sim, media)
        found = await self.collect(self.make(sim, http_session, state, config).new_uploads())
        expected = dict(self.expected(sim, v) for v in videos)
        got = {c.url: c for c in found}
        assert set(got) == set(expected)
        for url, fields in expected.items():
            for name, value in fields.items():
                assert getattr(got[url], name) == value, f"{url}: {name}"
        assert len({c.video_id for c in found}) == len(found)

    async def test_search_finds_uploads_by_title_words(
        self, sim, media, http_session, state, config
    ):
        videos = seed(sim, media)
        platform = self.make(sim, http_session, state, config)
        if not self.can_search:
            with pytest.raises(UnsupportedOperation):
                await self.collect(platform.search("霸道总裁爱上我"))
            return
        found = await self.collect(platform.search("霸道总裁爱上我 全集"))
        assert [c.url for c in found] == [self.expected(sim, videos[0])[0]]

    async def test_media_sample_decodes(self, sim, media, http_session, state, config, tmp_path):
        seed(sim, media)
        platform = self.make(sim, http_session, state, config)
        found = await self.collect(platform.new_uploads())
        short = next(c for c in found if "第3集" in c.title)
        sample = await platform.fetch_media(short, tmp_path)
        with av.open(str(sample.path)) as container:
            assert sum(1 for _ in container.decode(video=0)) == 50

    async def test_nothing_is_reported_twice_across_restarts(
        self, sim, media, http_session, state, config
    ):
        videos = seed(sim, media)
        platform = self.make(sim, http_session, state, config)
        async for page in platform.new_uploads():
            for candidate in page.candidates:
                await platform.mark_seen(candidate, "scanned")
            await platform.commit(page)
        newer = sim.add_video(
            media["short"].read_bytes(),
            title="霸道总裁爱上我 第4集",
            uploader_id="pirate2",
            uploaded_at=videos[-1].uploaded_at + timedelta(minutes=5),
        )
        restarted = self.make(sim, http_session, state, config)
        again = await self.collect(restarted.new_uploads())
        assert [c.url for c in again] == [self.expected(sim, newer)[0]]

    async def test_deleted_video_answers_gone(
        self, sim, media, http_session, state, config, tmp_path
    ):
        videos = seed(sim, media)
        platform = self.make(sim, http_session, state, config)
        found = await self.collect(platform.new_uploads())
        sim.delete(videos[1].id)
        with pytest.raises(CrawlError) as raised:
            await platform.fetch_media(next(c for c in found if "第3集" in c.title), tmp_path)
        assert getattr(raised.value, "expected", False)
        assert "404" in str(raised.value)


class TestSimulated(PlatformContract):
    platform_cls = SimulatedPlatform

    def options(self, sim):
        return {"base_url": sim.base_url}

    def expected(self, sim, video):
        return sim.page_url(video), {
            "video_id": video.id,
            "title": video.title,
            "uploader_id": video.uploader_id,
            "uploader_name": video.uploader_name,
            "uploaded_at": video.uploaded_at,
            "duration_s": video.duration_s,
            "view_count": video.views,
            "media_url": sim.media_url(video),
        }

    async def test_watched_account(self, sim, media, http_session, state, config):
        seed(sim, media)
        platform = self.make(sim, http_session, state, config)
        found = await self.collect(platform.account_uploads("pirate2"))
        assert [c.title for c in found] == ["霸道总裁爱上我 第3集"]


class FeedContract(PlatformContract):
    platform_cls = FeedPlatform
    feed = ""

    def options(self, sim):
        return {"urls": [f"{sim.base_url}/{self.feed}"]}

    def expected(self, sim, video):
        return sim.page_url(video), {
            "video_id": video.id,
            "title": video.title,
            "uploader_name": video.uploader_name,
            "uploaded_at": video.uploaded_at,
            "media_url": sim.media_url(video),
        }

    async def test_accounts_are_unsupported(self, sim, http_session, state, config):
        with pytest.raises(UnsupportedOperation):
            self.make(sim, http_session, state, config).account_uploads("x")


class TestFeedRss(FeedContract):
    feed = "feed.rss"


class TestFeedAtom(FeedContract):
    feed = "feed.atom"


class TestFeedJson(FeedContract):
    feed = "feed.json"


class TestYtDlpGeneric(PlatformContract):
    """yt-dlp's generic extractor reading the platform's RSS listing and HTML video pages."""

    platform_cls = YtDlpPlatform
    can_search = False  # search needs a site's search prefix; see the live test

    def options(self, sim):
        return {"watch_urls": [f"{sim.base_url}/feed.rss"]}

    def expected(self, sim, video):
        return sim.media_url(video), {"title": video.title, "uploaded_at": video.uploaded_at}

    async def test_describe_reads_a_video_page(self, sim, media, http_session, state, config):
        videos = seed(sim, media)
        platform = self.make(sim, http_session, state, config)
        candidate = await platform.describe(sim.page_url(videos[0]))
        assert candidate.url == sim.page_url(videos[0])
        assert candidate.title.startswith(videos[0].title)
        url, _headers = await platform._media_source(candidate)
        assert url == sim.media_url(videos[0])


@pytest.mark.live
async def test_ytdlp_live_search(http_session, state, config):
    """Opt-in (--live): a real search through yt-dlp's YouTube search prefix."""
    async with guarded_session(AddressGuard()) as session:
        platform = YtDlpPlatform(
            session,
            config(allow_private_addresses=False, search_prefix="ytsearch", search_results=3),
            state,
        )
        found = [c async for page in platform.search("short drama") for c in page.candidates]
    assert found and all(c.title for c in found)
