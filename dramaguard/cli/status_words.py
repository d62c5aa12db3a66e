"""``dramaguard status`` for a non-engineer: what the service is doing and what waits for a person,
in plain words, in Chinese or English (``LANG``), in tables that wrap instead of being cut."""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

WORDS: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).with_name("locales") / "status.json").read_text(encoding="utf-8"))
"""The words of each language (data: ``locales/status.json``, the same keys in both)."""


def language() -> str:
    lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return "zh" if lang.lower().startswith("zh") else "en"


def job_words(job_id: str, w: dict[str, str]) -> str:
    """``discover:simulated:work:2`` → "search simulated for work 2"; unknown ids stay as they are."""
    parts = job_id.split(":")
    if parts[0] == "discover" and len(parts) == 4 and parts[2] == "work":
        return w["discover"].format(platform=parts[1], work=parts[3])
    if parts[0] == "discover" and len(parts) == 3 and parts[2] == "new":
        return w["discover_new"].format(platform=parts[1])
    return w.get(job_id, job_id)


def _when(value: str | None, w: dict[str, str]) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M") if value else w["never"]


def render(snap: dict, waiting: dict[str, int], *, lang: str, console: Console | None = None) -> None:
    w = WORDS[lang]
    out = console or Console()
    d, i = snap["daemon"], snap["index"]
    out.print(w["ok"] if snap["status"] == "ok" else f"[yellow]{w['degraded']}[/yellow]")
    out.print(w["daemon_on"].format(pid=d["pid"], beat=_when(d["last_beat"], w)) if d["running"]
              else f"[yellow]{w['daemon_off']}[/yellow]")
    out.print(w["index_ok"].format(n=i["episodes"]) if i["ready"] else f"[red]{w['index_bad']}[/red]")
    table = Table(title=w["waiting"], show_header=False)
    table.add_column(overflow="fold")
    table.add_column(justify="right")
    for key in ("review", "blocked", "escalated", "disputed"):
        table.add_row(w[key], str(waiting.get(key, 0)))
    table.add_row(w["near"], str(len(snap["cases_near_deadline"])))
    out.print(table)
    for c in snap["cases_near_deadline"]:
        out.print(w["deadline_case"].format(case=c["case"], minutes=max(0, c["seconds_left"] // 60), url=c["url"]),
                  overflow="fold")
    jobs = Table(title=w["jobs"])
    for name in (w["job"], w["when"], w["result"]):
        jobs.add_column(name, overflow="fold")  # long names wrap; nothing is cut off at 80 columns
    for j in snap["jobs"]:
        result = w["fine"] if j["ok"] else f"[red]{w['failed']}[/red]: {j['error'] or ''}"
        jobs.add_row(job_words(j["job"], w), _when(j["last_finished"], w), result)
    out.print(jobs)
