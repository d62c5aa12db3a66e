"""The simulated platform's own protocol: complaints/takedowns, uploads, listings, Range, faults."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

pytestmark = pytest.mark.asyncio


def complaint(urls, **extra):
    return {
        "urls": urls,
        "claimant": "甜橙影业",
        "notice_id": "n-1",
        "body": "请删除侵权视频",
        **extra,
    }


async def test_complaint_is_received_idempotent_and_takes_videos_down(media, sim, http_session):
    video = sim.add_video(media["short"].read_bytes(), title="盗版 全集")
    other = sim.add_video(media["short"].read_bytes(), title="原创")
    url = f"{sim.base_url}/api/complaints"
    body = complaint([sim.page_url(video)])
    async with http_session.post(url, json=body, headers={"Idempotency-Key": "k1"}) as r:
        assert r.status == 201
        first = await r.json()
    assert first["status"] == "received" and first["complaint_id"]
    async with http_session.post(url, json=body, headers={"Idempotency-Key": "k1"}) as r:
        assert r.status == 200
        assert (await r.json())["complaint_id"] == first["complaint_id"]
    async with http_session.get(url) as r:
        listed = (await r.json())["items"]
    assert [c["complaint_id"] for c in listed] == [first["complaint_id"]]
    assert listed[0]["video_ids"] == [video.id]
    for path in (f"/v/{video.id}", f"/media/{video.id}.mp4", f"/api/videos/{video.id}"):
        async with http_session.get(sim.base_url + path) as r:
            assert r.status == 410, path
    async with http_session.get(sim.page_url(other)) as r:
        assert r.status == 200


@pytest.mark.parametrize(
    "payload, headers, problem",
    [
        ("{not json", {"Idempotency-Key": "a"}, "invalid JSON"),
        (
            '{"urls": [], "claimant": "x", "notice_id": "n", "body": "b"}',
            {"Idempotency-Key": "a"},
            "urls",
        ),
        ('{"urls": ["u"], "notice_id": "n", "body": "b"}', {"Idempotency-Key": "a"}, "claimant"),
        ('{"urls": ["u"], "claimant": "x", "notice_id": "n", "body": "b"}', {}, "Idempotency-Key"),
    ],
)
async def test_bad_complaints_get_400_with_a_message(sim, http_session, payload, headers, problem):
    async with http_session.post(
        f"{sim.base_url}/api/complaints",
        data=payload,
        headers={"Content-Type": "application/json", **headers},
    ) as r:
        assert r.status == 400
        assert problem in (await r.json())["error"]
    assert sim.complaints == {}


async def test_takedown_after_a_configured_delay(media, sim, http_session):
    sim.takedown_delay_s = 0.3
    video = sim.add_video(media["short"].read_bytes(), title="延迟")
    async with http_session.post(
        f"{sim.base_url}/api/complaints",
        json=complaint([sim.media_url(video)]),
        headers={"Idempotency-Key": "k2"},
    ) as r:
        assert r.status == 201
    async with http_session.get(sim.page_url(video)) as r:
        assert r.status == 200
    await asyncio.sleep(0.5)
    async with http_session.get(sim.page_url(video)) as r:
        assert r.status == 410


async def test_upload_search_pagination_and_deletion(media, sim, http_session):
    for n in range(3):
        form = aiohttp.FormData()
        form.add_field("file", media["short"].read_bytes(), filename="x.mp4")
        form.add_field("title", f"总裁 第{n + 1}集")
        form.add_field("uploader_id", "p1")
        async with http_session.post(f"{sim.base_url}/api/videos", data=form) as r:
            assert r.status == 201
            created = await r.json()
            assert created["duration"] == pytest.approx(2.0, abs=0.1)
    async with http_session.get(
        f"{sim.base_url}/api/search", params={"q": "总裁", "per_page": 2}
    ) as r:
        page1 = await r.json()
    assert [v["title"] for v in page1["items"]] == ["总裁 第3集", "总裁 第2集"]
    assert page1["next_page"] == 2
    sim.delete(created["id"])
    async with http_session.get(f"{sim.base_url}/api/search", params={"q": "总裁"}) as r:
        assert len((await r.json())["items"]) == 2
    async with http_session.get(f"{sim.base_url}/v/{created['id']}") as r:
        assert r.status == 404
    async with http_session.post(f"{sim.base_url}/api/videos", data={"title": "no file"}) as r:
        assert r.status == 400


async def test_range_requests(media, sim, http_session):
    video = sim.add_video(media["short"].read_bytes(), title="range")
    size = len(video.data)
    for header, start, end in [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, size - 1),
        ("bytes=-10", size - 10, size - 1),
    ]:
        async with http_session.get(sim.media_url(video), headers={"Range": header}) as r:
            assert r.status == 206
            assert r.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
            assert await r.read() == video.data[start : end + 1]
    async with http_session.get(sim.media_url(video), headers={"Range": f"bytes={size}-"}) as r:
        assert r.status == 416


async def test_rate_limit_answers_429_with_retry_after(sim, http_session):
    sim.faults.max_rps = 2
    statuses = []
    for _ in range(6):
        async with http_session.get(f"{sim.base_url}/api/videos") as r:
            statuses.append(r.status)
            if r.status == 429:
                assert r.headers["Retry-After"] == "1"
    assert statuses[:2] == [200, 200] and 429 in statuses
