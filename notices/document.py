"""The notice itself: who claims, which work, which URLs, what proof — and its rendering.

A Chinese notice carries the elements of 《信息网络传播权保护条例》 Art. 14 and the NCAC
recommended form; the English one those of 17 U.S.C. §512(c)(3)(A). ``validate`` refuses a
notice that lacks any of them, so an insufficient notice is never sent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from notices.errors import IncompleteNotice
from notices.render import RenderedDocument, render_document

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
    uploader: str
    episode_number: int
    matched: str  # human summary of the matched segments, e.g. "00:05–01:40 ↔ 00:03–01:38"
    score: float
    evidence_id: str
    evidence_sha256: str
    receipt_id: str = ""
    receipt_sha256: str = ""
    captured_at: str = ""
    carried_by: tuple[str, ...] = ()  # the signals the claim rests on ("picture", "dialogue")

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
class NoticeDocument:
    notice_id: str
    language: str
    platform: str
    recipient: str  # the platform's name as addressed
    holder: Party
    work_title: str
    registration_number: str
    items: tuple[NoticeItem, ...]
    signatory: str
    signed_on: date
    agent: Agent | None = None
    stage: str = "notice"  # "notice" or "escalation"
    rights_documents: tuple[str, ...] = field(default_factory=tuple)

    def validate(self) -> None:
        missing = [
            label for label, value in (
                ("notice id", self.notice_id), ("recipient", self.recipient),
                ("holder name", self.holder.name), ("holder address", self.holder.address),
                ("holder email", self.holder.email), ("work title", self.work_title),
                ("signatory", self.signatory),
            ) if not str(value).strip()
        ]
        if self.language not in LANGUAGES:
            missing.append(f"supported language (got {self.language!r})")
        if not self.items:
            missing.append("at least one infringing URL")
        for item in self.items:
            if not item.url.strip() or not item.evidence_sha256:
                missing.append(f"URL and evidence for item {item.url!r}")
        if self.agent and not self.agent.authorization.strip():
            missing.append("agent authorization")
        if missing:
            raise IncompleteNotice(
                "notice is not legally sufficient; missing: " + ", ".join(missing))


def render_notice(doc: NoticeDocument) -> RenderedDocument:
    doc.validate()
    return render_document(f"notice_{doc.language}.txt.j2", {"n": doc}, lang=doc.language)
