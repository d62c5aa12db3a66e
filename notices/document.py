"""The notice itself: who claims, which work, which URLs, what proof — and its rendering.

A Chinese notice carries the elements of 《信息网络传播权保护条例》 Art. 14 and the NCAC
recommended form; the English one those of 17 U.S.C. §512(c)(3)(A). ``validate`` refuses a
notice that lacks any of them (notices.completeness names each), so an insufficient notice is
never sent. Times are given in the holder's zone (北京时间 by default), as platforms read them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notices.completeness import describe, document_gaps, text_gaps
from notices.errors import IncompleteNotice
from notices.render import RenderedDocument, render_documents

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Party:
    """A rights holder or agent: identity and contacts (Art. 14 (一), §512(c)(3)(A)(iv))."""

    name: str
    address: str
    email: str
    phone: str = ""
    registration_id: str = ""  # unified social credit code / company number


@dataclass(frozen=True)
class Agent:
    party: Party
    authorization: str  # the power of attorney on file (reference and date)


@dataclass(frozen=True)
class NoticeItem:
    """One infringing URL with its preliminary proof (Art. 14 (二)(三))."""

    url: str
    title: str
    uploader: str  # the display name, as the platform shows it
    episode_number: int
    matched: str  # human summary of the matched segments, e.g. "00:05–01:40 ↔ 00:03–01:38"
    score: float
    evidence_id: str
    evidence_sha256: str
    receipt_id: str = ""
    receipt_sha256: str = ""
    captured_at: str = ""  # in the holder's zone, labelled (local_time)
    uploader_id: str = ""  # the account id: a platform finds the uploader by it
    uploaded_at: str = ""
    carried_by: tuple[str, ...] = ()  # the signals the claim rests on ("picture", "dialogue")
    # numbers of notices already delivered to this platform about other copies by the same
    # uploader: platforms must act on repeat infringers, so the notice says so
    earlier_notices: tuple[str, ...] = ()

    def basis(self, language: str) -> str:
        """What was compared, in the notice's language: the desk sees the claim is not the music."""
        names = _BASIS[language if language in _BASIS else "en"]
        known = [names[s] for s in self.carried_by if s in names]
        return names["and"].join(known) if known else names["default"]


_BASIS = {
    "en": {"picture": "the picture", "dialogue": "the dialogue", "and": " and ", "default": "the video"},
    "zh": {"picture": "视频画面指纹", "dialogue": "对白声音指纹", "and": "与", "default": "视频指纹"},
}


@dataclass(frozen=True)
class Addressee:
    """The platform's operating entity and copyright desk (notices.platforms)."""

    legal_entity: str
    desk: str
    address: str = ""


@dataclass(frozen=True)
class ProofCitation:
    """An ownership document attached to the notice, cited by file name and digest."""

    kind: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class FirstNotice:
    """What an escalation cites: the first notice's number and the day it was sent."""

    notice_id: str
    sent_on: str


@dataclass(frozen=True)
class NoticeDocument:
    notice_id: str
    language: str
    platform: str
    addressee: Addressee
    holder: Party
    work_title: str
    registration_number: str
    items: tuple[NoticeItem, ...]
    signatory: str
    signed_on: date
    signatory_capacity: str = ""
    agent: Agent | None = None
    stage: str = "notice"  # "notice" or "escalation"
    rights_documents: tuple[str, ...] = field(default_factory=tuple)  # registration receipts
    ownership_proofs: tuple[ProofCitation, ...] = field(default_factory=tuple)
    work_english_title: str = ""
    holder_english_name: str = ""
    languages: tuple[str, ...] = ()  # both for a bilingual platform; () means (language,)
    first_notice: FirstNotice | None = None
    time_zone: str = "Asia/Shanghai"
    seal_png: bytes | None = None  # the seal/signature image, drawn beside the signature

    @property
    def recipient(self) -> str:
        return self.addressee.legal_entity

    @property
    def all_languages(self) -> tuple[str, ...]:
        return self.languages or (self.language,)

    def validate(self) -> None:
        gaps = document_gaps(self)
        gaps += [f"supported language (got {lang!r})" for lang in self.all_languages if lang not in LANGUAGES]
        if self.stage == "escalation" and self.first_notice is None:
            gaps.append("first notice (an escalation cites it)")
        if gaps:
            reason = "; ".join(filter(None, [describe(g for g in gaps if " " not in g),
                                             *(g for g in gaps if " " in g)]))
            raise IncompleteNotice("notice is not legally sufficient; missing: " + reason,
                                   expected=True, missing=tuple(gaps))


def zone_of(name: str) -> ZoneInfo:
    """The named zone; UTC for a name the system does not know (profiles validate it first)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: datetime | None, zone: str) -> str:
    """``2026-12-06 20:15 北京时间 (UTC+08:00)``: the zone as people at the platform read it."""
    if value is None:
        return ""
    tz = zone_of(zone)
    zone = tz.key
    local = value.astimezone(tz)
    offset = local.strftime("%z")
    label = "北京时间" if zone in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else zone
    return f"{local:%Y-%m-%d %H:%M} {label} (UTC{offset[:3]}:{offset[3:]})"


def render_notice(doc: NoticeDocument) -> RenderedDocument:
    """The notice in each of its languages (one after the other), checked before and after:
    the data must be complete, and the rendered text must carry each required statement."""
    doc.validate()
    parts = [(f"notice_{lang}.txt.j2", {"n": doc, "lang": lang}) for lang in doc.all_languages]
    rendered = render_documents(parts, lang=doc.language, image=doc.seal_png)
    gaps = [g for lang in doc.all_languages for g in text_gaps(rendered.parts[lang], lang)]
    if gaps:
        raise IncompleteNotice("notice template lacks: " + describe(gaps), missing=tuple(gaps))
    return rendered
