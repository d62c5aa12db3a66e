"""How pages show times, episodes and states: in the user's zone and language.

Times are stored in UTC; a page shows them in the zone the user chose on /account (a cookie),
else ``web.time_zone`` (Asia/Shanghai by default), with the offset printed so a screenshot in a
court file is unambiguous.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from fastapi import Request

from notices.render import CONTROL_CHARS

TZ_COOKIE = "dg_tz"
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = re.compile(r"^\s*[=+\-@\t\r]")
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
                "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC")


def valid_zone(name: str | None) -> bool:
    return bool(name) and name in available_timezones()


def zone_for(request: Request, default: str) -> ZoneInfo:
    name = request.cookies.get(TZ_COOKIE)
    try:
        return ZoneInfo(name if valid_zone(name) else default)
    except ZoneInfoNotFoundError:
        return ZoneInfo("UTC")


def when_in(zone: ZoneInfo) -> Callable[..., str]:
    """A formatter: ``when(dt)`` → "2026-12-07 02:35 (UTC+8)"; ``seconds=True`` adds seconds."""

    def when(moment: datetime | None, seconds: bool = False) -> str:
        if moment is None:
            return "—"
        local = moment.astimezone(zone)
        offset = local.utcoffset()
        hours = offset.total_seconds() / 3600 if offset is not None else 0
        label = f"UTC{hours:+g}" if hours else "UTC"
        return local.strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) + f" ({label})"

    return when


def episode_label(translate: Callable[[str], str]) -> Callable[[int | None], str]:
    """第2集 in Chinese, "Episode 2" in English (never "集 2")."""
    return lambda number: "—" if number is None else translate("ws.episode_n").format(n=number)


def state_label(translate: Callable[[str], str]) -> Callable[[str], str]:
    """A case state, action or event name in the page's language (unknown names stay as they are)."""

    def label(name: str | None, kind: str = "state") -> str:
        if not name:
            return ""
        key = f"ws.{kind}.{name}"
        text = translate(key)
        return name if text == key else text

    return label


def csv_cell(value: object) -> object:
    """An exported cell that stays data in Excel/LibreOffice: uploader-controlled text
    (``=HYPERLINK(...)``, ``@SUM``, ``+cmd|...``) is prefixed with ``'`` so no formula runs, and
    control and bidi characters (NUL, CR/LF, U+202E) become spaces, so one case is one line."""
    if not isinstance(value, str):
        return "" if value is None else value
    text = CONTROL_CHARS.sub(" ", value)
    return "'" + text if FORMULA_START.match(value) or FORMULA_START.match(text) else text
