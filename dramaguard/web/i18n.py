"""UI strings in English and Chinese. The language comes from ?lang=, then a cookie, then the browser."""
from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

LANGUAGES = ("zh", "en")
LANG_COOKIE = "dg_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "app": "DramaGuard",
        "login": "Log in",
        "logout": "Log out",
        "email": "E-mail",
        "password": "Password",
        "login_failed": "Wrong e-mail or password.",
        "login_throttled": "Too many failed logins. Wait a few minutes and try again.",
        "dashboard": "Dashboard",
        "works": "Works",
        "queue": "Review queue",
        "work": "Work",
        "episodes": "Episodes",
        "episode": "Episode",
        "title": "Title",
        "holder": "Rights holder",
        "no_works": "No works registered yet.",
        "no_episodes": "No episodes registered yet.",
        "duration": "Duration",
        "receipt": "Registration receipt",
        "registered_at": "Registered",
        "file": "File",
        "upload": "Upload episode",
        "uploads": "Uploads",
        "number": "Number",
        "state": "State",
        "create_work": "Register a work",
        "create": "Create",
        "aliases": "Aliases (comma separated)",
        "signed_in_as": "Signed in as",
        "role.rights_holder": "rights holder",
        "role.legal": "legal staff",
        "role.admin": "administrator",
        "deadline": "Time left",
        "platform": "Platform",
        "score": "Score",
        "matched": "Matched",
        "uploader": "Uploader",
        "views": "Views",
        "open": "Open",
        "queue_empty": "Nothing waits for review.",
        "case": "Case",
        "copy": "Copy",
        "original": "Original",
        "timeline": "Matched segments",
        "keyframes": "Query frame (left) and reference frame (right)",
        "no_keyframes": "No keyframes in the evidence package.",
        "segments": "Segments",
        "approve": "Approve and send notice",
        "reject": "Reject (not infringing)",
        "note": "Note",
        "allowlist_uploader": "Also allowlist this uploader for the work",
        "notices": "Notices",
        "no_notices": "No notice yet.",
        "notice_sending": "sending…",
        "notice_sent": "sent",
        "notice_failed": "delivery failed",
        "history": "History",
        "detected_at": "Detected",
        "query_share": "Share of the copy",
        "ref_share": "Share of the original",
        "evidence": "Evidence",
        "reason": "Policy",
        "chart.detections": "Detections per day and platform",
        "chart.slowest": "slowest notice (min)",
        "chart.time_to_notice": "Time to notice (minutes) against the deadline",
        "chart.removed_24h": "removed within 24 h (%)",
        "chart.takedown": "Takedown rate within 24 h of the notice",
        "median_to_notice": "Median time to notice",
        "within_deadline": "Notices within the deadline",
        "cases_14d": "Cases (14 days)",
        "waiting_review": "Waiting for review",
    },
    "zh": {
        "app": "短剧卫士",
        "login": "登录",
        "logout": "退出",
        "email": "邮箱",
        "password": "密码",
        "login_failed": "邮箱或密码错误。",
        "login_throttled": "登录失败次数过多,请稍后再试。",
        "dashboard": "概览",
        "works": "作品",
        "queue": "待审核",
        "work": "作品",
        "episodes": "剧集",
        "episode": "集",
        "title": "片名",
        "holder": "权利人",
        "no_works": "尚未登记作品。",
        "no_episodes": "尚未登记剧集。",
        "duration": "时长",
        "receipt": "登记回执",
        "registered_at": "登记时间",
        "file": "文件",
        "upload": "上传剧集",
        "uploads": "上传记录",
        "number": "集数",
        "state": "状态",
        "create_work": "登记作品",
        "create": "创建",
        "aliases": "别名(逗号分隔)",
        "signed_in_as": "当前用户",
        "role.rights_holder": "权利人",
        "role.legal": "法务",
        "role.admin": "管理员",
        "deadline": "剩余时间",
        "platform": "平台",
        "score": "得分",
        "matched": "匹配时长",
        "uploader": "上传者",
        "views": "播放量",
        "open": "查看",
        "queue_empty": "没有待审核的案件。",
        "case": "案件",
        "copy": "疑似盗版",
        "original": "原片",
        "timeline": "匹配片段",
        "keyframes": "疑似盗版画面(左)与原片画面(右)",
        "no_keyframes": "证据包中没有关键帧。",
        "segments": "片段",
        "approve": "批准并发送通知",
        "reject": "驳回(不构成侵权)",
        "note": "备注",
        "allowlist_uploader": "同时将该上传者加入本作品白名单",
        "notices": "通知",
        "no_notices": "尚未发出通知。",
        "notice_sending": "发送中…",
        "notice_sent": "已发送",
        "notice_failed": "发送失败",
        "history": "处理记录",
        "detected_at": "发现时间",
        "query_share": "占盗版比例",
        "ref_share": "占原片比例",
        "evidence": "证据",
        "reason": "策略",
        "chart.detections": "每日各平台发现数",
        "chart.slowest": "最慢通知(分钟)",
        "chart.time_to_notice": "发现到通知用时(分钟)与时限",
        "chart.removed_24h": "24小时内下架(%)",
        "chart.takedown": "通知后24小时内下架率",
        "median_to_notice": "通知用时中位数",
        "within_deadline": "时限内发出的通知",
        "cases_14d": "案件(14天)",
        "waiting_review": "待审核",
    },
}

from dramaguard.web.messages_reliability import MESSAGES as _RELIABILITY  # noqa: E402

for _lang, _table in _RELIABILITY.items():
    MESSAGES[_lang].update(_table)


from dramaguard.web.messages_workspace import MESSAGES as _WORKSPACE  # noqa: E402 (after the base table)

for _lang, _table in _WORKSPACE.items():
    MESSAGES[_lang].update(_table)


from dramaguard.web.messages_overlaps import MESSAGES as _OVERLAPS  # noqa: E402

for _lang, _table in _OVERLAPS.items():
    MESSAGES[_lang].update(_table)


from dramaguard.web.messages_onboarding import MESSAGES as _ONBOARDING  # noqa: E402
for _lang, _table in _ONBOARDING.items():
    MESSAGES[_lang].update(_table)


def pick_language(request: Request) -> str:
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    return "zh" if accept.startswith("zh") else "en"


def translator(lang: str) -> Callable[[str], str]:
    table, fallback = MESSAGES[lang], MESSAGES["en"]
    return lambda key: table.get(key) or fallback.get(key) or key
