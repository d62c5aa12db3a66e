"""A platform's copyright desk on loopback: a real SMTP server and the e-mail notice settings
that deliver to it (douyin's address), shared by the tests that send notices end to end."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dramaguard.settings import NoticeSettings
from tests.notices.servers import SmtpSink, start_smtp

DESK = "copyright@douyin.example"


@contextmanager
def mail_desk(sink: SmtpSink | None = None, **notice_fields) -> Iterator[tuple[SmtpSink, NoticeSettings]]:
    """Start the SMTP server (``sink`` keeps what it receives), stop it on exit."""
    sink = sink if sink is not None else SmtpSink()
    controller = start_smtp(sink)
    try:
        yield sink, NoticeSettings(default_channel="email", smtp_host="127.0.0.1", smtp_port=controller.port,
                                   email_recipients={"douyin": DESK}, **notice_fields)
    finally:
        controller.stop()
