"""``dramaguard status`` for a non-engineer: what the service is doing and what waits for a person,
in plain words, in Chinese or English (``LANG``), in tables that wrap instead of being cut."""
from __future__ import annotations

import os
from datetime import datetime

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notices.lifecycle import CaseState
from storage.cases import Case, Delivery

WORDS = {
    "en": {
        "ok": "Everything is working.", "degraded": "Something needs attention (see below).",
        "daemon_on": "Monitoring is running (process {pid}), last sign of life {beat}.",
        "daemon_off": "Monitoring is NOT running: start it with `dramaguard daemon`.",
        "index_ok": "{n} registered episodes can be recognised.",
        "index_bad": "The episode library is NOT ready: copies cannot be recognised yet.",
        "waiting": "Waiting for a person", "review": "cases waiting for legal review",
        "blocked": "notices that could not be delivered", "escalated": "escalated cases (copy still up)",
        "disputed": "disputed cases (counter-notice)", "near": "cases close to their notice deadline",
        "jobs": "What the service did", "job": "task", "when": "last finished", "result": "result",
        "fine": "fine", "failed": "FAILED", "never": "not yet",
        "discover": "search {platform} for work {work}", "discover_new": "search {platform} for new uploads",
        "pipeline:feed": "check found videos against the library", "notices:dispatch": "send due notices",
        "notices:recheck": "check whether noticed copies are gone", "deadline:watchdog": "watch deadlines",
        "index:refresh": "load newly registered episodes",
        "deadline_case": "case {case}: {minutes} min left to send the notice ({url})",
    },
    "zh": {
        "ok": "一切正常。", "degraded": "有需要处理的事项(见下文)。",
        "daemon_on": "监测服务正在运行(进程 {pid}),最近一次心跳 {beat}。",
        "daemon_off": "监测服务未运行:请用 `dramaguard daemon` 启动。",
        "index_ok": "已登记的 {n} 集可以被识别。",
        "index_bad": "剧集库尚未就绪:暂时无法识别盗版。",
        "waiting": "需要人工处理", "review": "待法务审核的案件", "blocked": "发送失败的通知",
        "escalated": "已升级的案件(视频仍在线)", "disputed": "有争议的案件(反通知)",
        "near": "即将到达通知期限的案件",
        "jobs": "服务最近的工作", "job": "任务", "when": "最近完成", "result": "结果",
        "fine": "正常", "failed": "失败", "never": "尚未运行",
        "discover": "在 {platform} 上搜索作品 {work}", "discover_new": "在 {platform} 上搜索新上传",
        "pipeline:feed": "将发现的视频与剧集库比对", "notices:dispatch": "发送到期的通知",
        "notices:recheck": "复查已通知的视频是否下架", "deadline:watchdog": "监控期限",
        "index:refresh": "载入新登记的剧集",
        "deadline_case": "案件 {case}:距通知期限还剩 {minutes} 分钟({url})",
    },
}


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


def waiting_counts(session: Session) -> dict[str, int]:
    """What waits for a person: reviews, undeliverable notices, escalations, disputes."""
    def count(query) -> int:
        return int(session.scalar(query) or 0)

    by_state = lambda *states: count(select(func.count()).select_from(Case).where(  # noqa: E731
        Case.state.in_([s.value for s in states])))
    return {
        "review": by_state(CaseState.PENDING_REVIEW),
        "blocked": count(select(func.count()).select_from(Delivery).where(Delivery.status == "failed")),
        "escalated": by_state(CaseState.NOT_REMOVED, CaseState.ESCALATED),
        "disputed": by_state(CaseState.COUNTER_NOTICED, CaseState.FORWARDED, CaseState.IN_COURT),
    }


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
