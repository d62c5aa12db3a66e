"""A notice about an uploader already notified says so, with the earlier notice numbers: a
platform must act on repeat infringers, and the desk should not have to look them up."""
from __future__ import annotations

import email
from email import policy as email_policy

from sqlalchemy import select

from monitor import notice_claims
from storage.cases import Notice
from storage.db import transaction
from tests.mail_desk import mail_desk
from tests.monitor.casework_fixtures import candidate, make_world
from tests.monitor.test_casework import dispatch, ingest


def test_a_second_notice_cites_the_first_about_the_same_uploader(tmp_path) -> None:
    with mail_desk(platform_languages={"douyin": "zh"}) as (sink, notices):
        world = make_world(tmp_path, notices)
        channel = notice_claims.build_channels(notices)["email"]
        ingest(world, candidate("v1"), world.report())
        [first] = dispatch(world, channel)
        ingest(world, candidate("v2", uploader_name="改了名字"), world.report())  # same account, new name
        ingest(world, candidate("v3", uploader_id="someone-else", uploader_name="别人"), world.report())
        [second] = dispatch(world, channel)
    assert first.status == second.status == "sent" and len(sink.messages) == 2
    with transaction(world.sessions) as s:
        texts = {n.public_id: n.text for n in s.scalars(select(Notice))}
    assert "重复侵权" not in texts[first.notice_id]
    text = texts[second.notice_id]
    [v2_line] = [line for line in text.splitlines() if "改了名字" in line]
    assert f"被通知 1 次（通知编号 {first.notice_id}）" in v2_line and "重复侵权" in v2_line
    [v3_line] = [line for line in text.splitlines() if "别人" in line]
    assert "重复侵权" not in v3_line  # another account: nothing to cite
    body = email.message_from_bytes(sink.messages[1].content, policy=email_policy.default)
    assert first.notice_id in body.get_body(("plain",)).get_content()
