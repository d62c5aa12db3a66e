"""Is a notice legally sufficient? Each required element by name, with the law that asks for it.

Two laws, one list: 《信息网络传播权保护条例》 Art. 14 (the notice a Chinese platform must act
on) and 17 U.S.C. §512(c)(3)(A)(i)–(vi) (a DMCA notice). A notice missing any element is not
sent; the missing elements are recorded and shown, each saying what to fill in. The same
checks, run on a claimant profile and a work's proofs, tell a rights holder *before* a pirate
copy appears that its notices would be blocked ("not ready to notify").
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# notices.document imports this module (validate), so its types are not imported here: a
# "Party" is anything with name/address/email/phone, a "NoticeDocument" the document itself
Party = Any
NoticeDocument = Any


@dataclass(frozen=True)
class Element:
    code: str
    law: str
    zh: str  # what to do, in Chinese
    en: str  # what to do, in English


ELEMENTS: dict[str, Element] = {e.code: e for e in (
    Element("claimant_profile", "条例第十四条(一); 17 U.S.C. 512(c)(3)(A)(i), (iv)",
            "创建权利人资料（名称、地址、联系方式、签署人）", "create the claimant profile (name, address, contacts, signatory)"),
    Element("holder_name", "条例第十四条(一); 17 U.S.C. 512(c)(3)(A)(iv)",
            "填写权利人法定名称（权利人资料页）", "enter the rights holder's legal name (claimant profile)"),
    Element("holder_address", "条例第十四条(一); 17 U.S.C. 512(c)(3)(A)(iv)",
            "填写权利人地址（权利人资料页）", "enter the rights holder's address (claimant profile)"),
    Element("holder_contact", "条例第十四条(一); 17 U.S.C. 512(c)(3)(A)(iv)",
            "填写联系电话和电子邮箱（权利人资料页）", "enter a telephone and an e-mail (claimant profile)"),
    Element("signature", "条例第十四条(一); 17 U.S.C. 512(c)(3)(A)(i)",
            "填写签署人姓名（权利人资料页）", "enter the signatory's name (claimant profile)"),
    Element("signatory_capacity", "17 U.S.C. 512(c)(3)(A)(i), (vi)",
            "填写签署人职务（如法定代表人、法务负责人）", "enter the signatory's capacity (e.g. legal representative)"),
    Element("agent_authorisation", "条例第十四条(一); 17 U.S.C. 512(c)(3)(A)(vi)",
            "代理人发送通知须上传授权委托书", "an agent's notice needs the uploaded authorisation letter"),
    Element("work", "条例第十四条(二); 17 U.S.C. 512(c)(3)(A)(ii)",
            "作品须有名称", "the work needs a title"),
    Element("ownership_proof", "条例第十四条(三)",
            "上传权属证明（作品登记证书、授权链或营业执照）",
            "upload an ownership proof (registration certificate, licence chain or business licence)"),
    Element("infringing_url", "条例第十四条(二); 17 U.S.C. 512(c)(3)(A)(iii)",
            "每一侵权内容须有网络地址", "every infringing item needs its URL"),
    Element("uploader", "条例第十四条(二)",
            "每一侵权内容须有上传者账号", "every infringing item needs the uploader's account id"),
    Element("upload_time", "条例第十四条(二)",
            "每一侵权内容须有上传时间（平台未提供时需人工核实）",
            "every infringing item needs its upload time (check it by hand if the platform gave none)"),
    Element("match_evidence", "条例第十四条(三); 17 U.S.C. 512(c)(3)(A)(iii)",
            "每一侵权内容须有比对证据包及其 SHA-256", "every item needs its sealed evidence package and SHA-256"),
    Element("addressee", "条例第十四条",
            "在平台登记表中填写该平台的运营主体和投诉渠道", "add the platform's legal entity and complaint desk to the platform registry"),
    Element("truth_statement", "条例第十四条",
            "通知书须含真实性声明", "the notice must state that it is true (template)"),
    Element("good_faith_statement", "17 U.S.C. 512(c)(3)(A)(v)",
            "英文通知须含善意声明", "the notice must carry the good-faith statement (template)"),
    Element("accuracy_statement", "17 U.S.C. 512(c)(3)(A)(vi)",
            "英文通知须含准确性、伪证责任及授权声明", "the notice must carry the accuracy / perjury / authorisation statement (template)"),
)}

#: sentences the rendered text must contain, per language (the templates carry them)
STATEMENTS: dict[str, dict[str, str]] = {
    "zh": {"truth_statement": "本通知书中的内容真实、准确"},
    "en": {
        "good_faith_statement": "I have a good faith belief that use of the material",
        "accuracy_statement": "under penalty of perjury, I am authorized to act on behalf of the owner",
    },
}


def _blank(value: object) -> bool:
    return not str(value or "").strip()


def claimant_gaps(holder: Party, *, signatory: str, capacity: str) -> list[str]:
    """Codes of the claimant profile's missing elements."""
    gaps = []
    if _blank(holder.name):
        gaps.append("holder_name")
    if _blank(holder.address):
        gaps.append("holder_address")
    if _blank(holder.email) or _blank(holder.phone):
        gaps.append("holder_contact")
    if _blank(signatory):
        gaps.append("signature")
    if _blank(capacity):
        gaps.append("signatory_capacity")
    return gaps


def document_gaps(doc: NoticeDocument) -> list[str]:
    """Codes of every element ``doc`` lacks (before rendering)."""
    gaps = claimant_gaps(doc.holder, signatory=doc.signatory, capacity=doc.signatory_capacity)
    letters = [p for p in doc.ownership_proofs if p.kind == "authorisation_letter"]
    if doc.agent and (_blank(doc.agent.authorization) or not letters):
        gaps.append("agent_authorisation")
    if _blank(doc.work_title):
        gaps.append("work")
    if not [p for p in doc.ownership_proofs if p.kind != "authorisation_letter"]:
        gaps.append("ownership_proof")
    if _blank(doc.addressee.legal_entity) or _blank(doc.addressee.desk):
        gaps.append("addressee")
    items = doc.items
    checks = (("infringing_url", lambda i: i.url), ("uploader", lambda i: i.uploader_id),
              ("upload_time", lambda i: i.uploaded_at), ("match_evidence", lambda i: i.evidence_sha256))
    if not items:
        gaps.append("infringing_url")
    for code, value in checks:
        if any(_blank(value(i)) for i in items) and code not in gaps:
            gaps.append(code)
    return gaps


def text_gaps(text: str, language: str) -> list[str]:
    """Codes of the statements the rendered ``text`` in ``language`` leaves out."""
    return [code for code, sentence in STATEMENTS.get(language, {}).items() if sentence not in text]


def describe(codes: Iterable[str], language: str = "en") -> str:
    """``what to do (law)`` for each code, joined: the reason a blocked notice records."""
    out = []
    for code in codes:
        element = ELEMENTS[code]
        out.append(f"{element.zh if language == 'zh' else element.en} ({element.law})")
    return "; ".join(out)
