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
        "episode": "第几集",
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
    },
}


def pick_language(request: Request) -> str:
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    return "zh" if accept.startswith("zh") else "en"


def translator(lang: str) -> Callable[[str], str]:
    table, fallback = MESSAGES[lang], MESSAGES["en"]
    return lambda key: table.get(key) or fallback.get(key) or key
