"""Notices and receipts: every legally required element in HTML, text and PDF; Chinese glyphs
really drawn in the PDF (rasterized with pdfium) and extractable (pypdf)."""
from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import UTC, date, datetime

import numpy as np
import pypdf
import pypdfium2 as pdfium
import pytest

from notices.document import (
    Addressee,
    Agent,
    FirstNotice,
    NoticeDocument,
    NoticeItem,
    Party,
    ProofCitation,
    render_notice,
)
from notices.errors import IncompleteNotice
from notices.receipts import RegistrationReceipt, RightsDocument, render_receipt

HOLDER = Party("星河短剧有限公司", "北京市朝阳区星河路1号", "legal@xinghe.example", "010-88886666",
               "91110105MA00000000")
AGENT = Agent(Party("明理律师事务所", "上海市浦东新区明理路8号", "ip@mingli.example", "021-5555"),
              "授权委托书 MLS-2026-017（2026年1月5日）")


def item(n: int) -> NoticeItem:
    return NoticeItem(
        url=f"https://v.example.com/watch/{n}?t=1&x=<b>", title=f"盗版第{n}集",
        uploader=f"pirate{n}",
        episode_number=n, matched="00:05.0–01:40.0 ↔ 00:03.0–01:38.0", score=0.93,
        evidence_id=f"DG-E-00000{n}", evidence_sha256=f"{n}" * 64,
        receipt_id=f"DG-R-00000{n}", receipt_sha256="c" * 64, captured_at="2026-11-22 16:00 北京时间 (UTC+08:00)",
        uploader_id=f"uid-{n}", uploaded_at="2026-11-22 15:10 北京时间 (UTC+08:00)",
    )


def notice(lang: str = "zh", **kw) -> NoticeDocument:
    base = dict(notice_id="DG-ABC123", language=lang, platform="douyin",
                addressee=Addressee("北京微播视界科技有限公司（抖音）", "抖音侵权投诉"),
                holder=HOLDER, work_title="霸道总裁的契约新娘", work_english_title="The Contract Bride",
                registration_number="国作登字-2026-I-00000001",
                items=(item(1), item(2)), signatory="李明", signatory_capacity="法定代表人",
                signed_on=date(2026, 11, 22),
                agent=AGENT, rights_documents=("著作权登记证书 国作登字-2026-I-00000001",),
                ownership_proofs=(ProofCitation("registration_certificate", "certificate.pdf", "e" * 64),
                                  ProofCitation("authorisation_letter", "authorisation.pdf", "a" * 64)),
                first_notice=FirstNotice("DG-FIRST1", "2026-11-21 10:00 北京时间 (UTC+08:00)"))
    base.update(kw)
    return NoticeDocument(**base)


ZH_REQUIRED = [
    "侵权通知书", "《信息网络传播权保护条例》第十四条", "星河短剧有限公司", "北京市朝阳区星河路1号",
    "010-88886666", "legal@xinghe.example", "91110105MA00000000", "霸道总裁的契约新娘",
    "国作登字-2026-I-00000001", "盗版第1集", "盗版第2集", "初步证明材料", "DG-E-000001",
    "1" * 64, "DG-R-000001", "真实性负责", "签名（盖章）：李明（法定代表人）", "2026年11月22日", "明理律师事务所",
    "授权委托书 MLS-2026-017", "致：北京微播视界科技有限公司（抖音）", "uid-1", "上传时间：2026-11-22 15:10 北京时间",
    "certificate.pdf", "e" * 64, "北京时间",
]
EN_REQUIRED = [
    "Notice of Copyright Infringement", "§512(c)(3)", "星河短剧有限公司", "legal@xinghe.example",
    "010-88886666", "北京市朝阳区星河路1号", "霸道总裁的契约新娘", "good faith belief",
    "under penalty of perjury", "authorized to act on behalf of the owner", "Signature: /李明/",
    "2026-11-22", "DG-E-000001", "1" * 64, "Authorized agent: 明理律师事务所", "法定代表人",
    "To: 北京微播视界科技有限公司（抖音）", "account ID uid-1", "The Contract Bride", "certificate.pdf",
]


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    """Whitespace-free, since PDF line breaks fall between words or inside CJK runs."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(("lang", "required"), [("zh", ZH_REQUIRED), ("en", EN_REQUIRED)])
def test_notice_has_every_required_element(lang: str, required: list[str]) -> None:
    rendered = render_notice(notice(lang))
    text_pdf = squeeze(pdf_text(rendered.pdf))
    for element in required:
        assert element in rendered.text, element
        assert element in rendered.html, element
        assert squeeze(element) in text_pdf, element
    for n in (1, 2):  # several URLs of one platform in one notice, whole and escaped in HTML
        url = f"https://v.example.com/watch/{n}?t=1&x=<b>"
        assert url in rendered.text
        assert f"https://v.example.com/watch/{n}?t=1&amp;x=&lt;b&gt;" in rendered.html


def test_notice_without_agent_omits_agent_section() -> None:
    rendered = render_notice(notice(agent=None))
    assert "代理人" not in rendered.text and "权利人特此通知" in rendered.text


def test_uploader_controlled_text_is_escaped_in_html() -> None:
    evil = dataclasses.replace(item(1), title="<script>alert(1)</script>")
    rendered = render_notice(notice(items=(evil,)))
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def test_escalation_notice_says_so_and_cites_the_first_notice() -> None:
    zh, en = render_notice(notice(stage="escalation")).text, render_notice(notice("en", stage="escalation")).text
    assert "再次通知" in zh and "Second Notice" in en
    for text in (zh, en):
        assert "DG-FIRST1" in text and "2026-11-21 10:00" in text
    with pytest.raises(IncompleteNotice, match="first notice"):
        render_notice(notice(stage="escalation", first_notice=None))


def test_bilingual_notice_carries_both_languages_in_full() -> None:
    rendered = render_notice(notice("zh", languages=("zh", "en")))
    assert set(rendered.parts) == {"zh", "en"}
    assert "真实性负责" in rendered.text and "under penalty of perjury" in rendered.text
    pdf = squeeze(pdf_text(rendered.pdf))
    assert "侵权通知书" in pdf and "NoticeofCopyrightInfringement" in pdf


@pytest.mark.parametrize("change", [
    {"items": ()}, {"holder": dataclasses.replace(HOLDER, address="")}, {"signatory": " "},
    {"language": "fr"}, {"agent": Agent(AGENT.party, "")},
    {"items": (dataclasses.replace(item(1), evidence_sha256=""),)},
])
def test_insufficient_notice_is_refused(change: dict) -> None:
    with pytest.raises(IncompleteNotice):
        render_notice(notice(**change))


def test_chinese_is_drawn_in_the_pdf() -> None:
    """Rasterize page 1: the centred CJK title band must carry ink, and the glyph images must
    differ from each other (missing-glyph boxes or blanks would not)."""
    rendered = render_notice(notice(agent=None))
    page = pdfium.PdfDocument(rendered.pdf)[0]
    image = np.asarray(page.render(scale=2).to_pil().convert("L"))
    height, width = image.shape
    top = image[: int(height * 0.12)]  # title band (top margin is 20 mm of 297 mm)
    ink_rows = np.where((top < 128).sum(axis=1) > 0)[0]
    assert ink_rows.size > 10, "no ink in the title area"
    band = top[ink_rows.min(): ink_rows.max() + 1]
    columns = np.where((band < 128).any(axis=0))[0]
    # "侵权通知书" — five glyphs, centred: the inked span is wide and sits around the middle
    assert columns.max() - columns.min() > 80
    assert abs((columns.max() + columns.min()) / 2 - width / 2) < width * 0.1
    glyph_width = (columns.max() - columns.min()) // 5
    glyphs = [band[:, columns.min() + i * glyph_width: columns.min() + (i + 1) * glyph_width]
              for i in range(5)]
    assert len({g.tobytes() for g in glyphs}) == 5
    assert pdf_text(rendered.pdf).startswith("侵权通知书")


def test_pdf_is_reproducible() -> None:
    assert render_notice(notice()).pdf == render_notice(notice()).pdf


def receipt() -> RegistrationReceipt:
    return RegistrationReceipt(
        receipt_id="DG-R-000007", holder="星河短剧有限公司", work_title="霸道总裁的契约新娘",
        registration_number="国作登字-2026-I-00000001", episode_number=7, source_name="ep07.mp4",
        file_sha256="a" * 64, size_bytes=12_345_678, duration_s=95.5,
        fingerprint_algorithm="dg-phash", fingerprint_version=1, fingerprint_digest="b" * 64,
        registered_at=datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
        issued_at=datetime(2026, 11, 1, 9, 31, tzinfo=UTC),
        documents=(RightsDocument("著作权登记证书", "国作登字-2026-I-00000001", "d" * 64),),
    )


def test_receipt_json_round_trip_and_digest() -> None:
    r = receipt()
    data = json.loads(r.to_json())
    assert data["file_sha256"] == "a" * 64 and data["fingerprint_digest"] == "b" * 64
    assert RegistrationReceipt.from_dict(data) == r
    assert r.citation()["sha256"] == r.sha256
    assert dataclasses.replace(r, file_sha256="e" * 64).sha256 != r.sha256


def test_receipt_pdf_carries_the_facts() -> None:
    text = squeeze(pdf_text(render_receipt(receipt()).pdf))
    for element in ("作品存证回执", "DG-R-000007", "a" * 64, "b" * 64, "2026-11-01T09:30:00+00:00",
                    "著作权登记证书", "霸道总裁的契约新娘"):
        assert element in text, element


@pytest.mark.parametrize(("lang", "carried", "said"), [
    ("en", ("dialogue",), "Evidence: fingerprints of the dialogue match"),
    ("en", ("picture", "dialogue"), "fingerprints of the picture and the dialogue match"),
    ("zh", ("dialogue",), "第1项：对白声音指纹比对一致"),
    ("zh", ("picture",), "第1项：视频画面指纹比对一致"),
    ("zh", (), "第1项：视频指纹比对一致"),
])
def test_the_notice_says_what_the_claim_rests_on(lang: str, carried: tuple, said: str) -> None:
    """A desk reading the notice sees the claim is the picture or the dialogue, not the music."""
    items = (dataclasses.replace(item(1), carried_by=carried),)
    assert said in render_notice(notice(lang, items=items)).text
