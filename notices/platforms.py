"""The platform registry: to whom a notice is addressed, and in which languages.

A notice is addressed to the platform's operating legal entity and its copyright desk, never to
our internal platform key. The rows below come from each platform's public complaint channel
(the pages named in ``source``), as published when this file was written; e-mail addresses that
a platform does not publish are left empty, so the route (settings ``email_recipients`` or
``complaint_api_urls``) stays the operator's decision. Settings (``notices.platform_registry``)
override or add rows without a code change.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class PlatformDesk:
    key: str  # the crawler's platform name (stored in the database)
    legal_entity: str  # who operates the service (致：…)
    desk: str  # the copyright complaint channel
    address: str = ""
    email: str = ""
    web_form: str = ""
    languages: tuple[str, ...] = ("zh",)  # ("zh", "en"): the notice goes bilingual
    source: str = ""  # where these facts were read
    example: bool = False  # the demo's simulated platform

    @property
    def bilingual(self) -> bool:
        return len(self.languages) > 1


DEFAULT_DESKS: tuple[PlatformDesk, ...] = (
    PlatformDesk(
        "douyin", "北京微播视界科技有限公司（抖音）", "抖音侵权投诉（知识产权保护）",
        web_form="https://www.douyin.com/", languages=("zh",),
        source="抖音《用户服务协议》侵权投诉条款与 App 内 设置→反馈与帮助→侵权投诉"),
    PlatformDesk(
        "kuaishou", "北京快手科技有限公司（快手）", "快手知识产权侵权投诉",
        web_form="https://www.kuaishou.com/", languages=("zh",),
        source="快手《用户服务协议》知识产权保护条款"),
    PlatformDesk(
        "bilibili", "上海宽娱数码科技有限公司（哔哩哔哩）", "哔哩哔哩版权投诉（侵权申诉）",
        web_form="https://www.bilibili.com/", languages=("zh",),
        source="哔哩哔哩《用户协议》知识产权条款与版权投诉入口"),
    PlatformDesk(
        "youtube", "YouTube, LLC (Google LLC)", "YouTube Copyright Team (DMCA designated agent)",
        address="901 Cherry Avenue, San Bruno, CA 94066, USA", email="copyright@youtube.com",
        web_form="https://support.google.com/youtube/answer/2807622", languages=("en", "zh"),
        source="YouTube Help: Submit a copyright removal request; U.S. Copyright Office DMCA agent directory"),
    PlatformDesk(
        "tiktok", "TikTok Inc. / TikTok Pte. Ltd.", "TikTok Intellectual Property Team (copyright)",
        web_form="https://www.tiktok.com/legal/report/Copyright", languages=("en", "zh"),
        source="TikTok Intellectual Property Policy: copyright infringement report"),
    PlatformDesk(
        "simulated", "示例平台运营有限公司（Simulated Platform, example）", "示例平台版权投诉接口（demo）",
        address="127.0.0.1（本机演示）", languages=("zh", "en"), example=True,
        source="DramaGuard's simulated platform (crawler/simulated)"),
)


@dataclass(frozen=True)
class PlatformRegistry:
    desks: Mapping[str, PlatformDesk] = field(default_factory=dict)

    def get(self, key: str) -> PlatformDesk | None:
        return self.desks.get(key)


def build_registry(overrides: Mapping[str, Mapping[str, object]] | None = None,
                   defaults: Iterable[PlatformDesk] = DEFAULT_DESKS) -> PlatformRegistry:
    """The defaults with ``overrides`` (platform → fields) applied; a new key adds a row.
    Duplicate default keys raise: the key is stored with every case."""
    desks: dict[str, PlatformDesk] = {}
    for desk in defaults:
        if desk.key in desks:
            raise ValueError(f"duplicate platform {desk.key!r} in the registry")
        desks[desk.key] = desk
    for key, fields in (overrides or {}).items():
        values = dict(fields)
        if "languages" in values:
            values["languages"] = tuple(values["languages"])  # type: ignore[arg-type]
        base = desks.get(key) or PlatformDesk(key, "", "")
        desks[key] = replace(base, **values)  # type: ignore[arg-type]
    return PlatformRegistry(desks)
