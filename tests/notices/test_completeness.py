"""Each element Art. 14 of 《信息网络传播权保护条例》 and 17 U.S.C. 512(c)(3)(A)(i)-(vi) ask for:
without it the notice is refused, and the refusal names that element (and what to do)."""
from __future__ import annotations

import dataclasses

import pytest

from notices.completeness import ELEMENTS, STATEMENTS, describe, document_gaps, text_gaps
from notices.document import Addressee, ProofCitation, local_time, render_notice
from notices.errors import IncompleteNotice
from tests.notices.test_render import AGENT, HOLDER, item, notice

ITEMS = (item(1), item(2))


def one_item(**change):
    return {"items": (dataclasses.replace(item(1), **change), item(2))}


CASES = {
    "holder_name": {"holder": dataclasses.replace(HOLDER, name="")},
    "holder_address": {"holder": dataclasses.replace(HOLDER, address=" ")},
    "holder_contact": {"holder": dataclasses.replace(HOLDER, phone="")},
    "signature": {"signatory": ""},
    "signatory_capacity": {"signatory_capacity": ""},
    "agent_authorisation": {"agent": dataclasses.replace(AGENT, authorization="")},
    "work": {"work_title": ""},
    "ownership_proof": {"ownership_proofs": (ProofCitation("authorisation_letter", "letter.pdf", "a" * 64),)},
    "addressee": {"addressee": Addressee("", "")},
    "infringing_url": one_item(url=""),
    "uploader": one_item(uploader_id=""),
    "upload_time": one_item(uploaded_at=""),
    "match_evidence": one_item(evidence_sha256=""),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("code", list(CASES))
def test_each_missing_element_blocks_the_notice_and_is_named(code: str, lang: str) -> None:
    doc = notice(lang, **CASES[code])
    assert document_gaps(doc) == [code]
    with pytest.raises(IncompleteNotice) as caught:
        render_notice(doc)
    assert caught.value.missing == (code,)
    assert ELEMENTS[code].law in str(caught.value) and ELEMENTS[code].en in str(caught.value)


def test_an_agent_needs_the_uploaded_authorisation_letter() -> None:
    certificate_only = tuple(p for p in notice().ownership_proofs if p.kind != "authorisation_letter")
    assert document_gaps(notice(ownership_proofs=certificate_only)) == ["agent_authorisation"]
    assert document_gaps(notice(ownership_proofs=certificate_only, agent=None)) == []
    letter_only = tuple(p for p in notice().ownership_proofs if p.kind == "authorisation_letter")
    assert document_gaps(notice(ownership_proofs=letter_only)) == ["ownership_proof"]  # a letter proves no title


def test_email_alone_is_not_enough_contact() -> None:
    """Art. 14 (一) asks for 联系方式; platforms' forms want a telephone as well as an e-mail."""
    assert "holder_contact" in document_gaps(notice(holder=dataclasses.replace(HOLDER, email="")))


def test_no_items_is_named() -> None:
    assert document_gaps(notice(items=())) == ["infringing_url"]


def test_a_complete_notice_has_no_gaps() -> None:
    for lang in ("zh", "en"):
        doc = notice(lang)
        assert document_gaps(doc) == []
        assert text_gaps(render_notice(doc).text, lang) == []


@pytest.mark.parametrize(("lang", "code"), [(lang, code) for lang, codes in STATEMENTS.items() for code in codes])
def test_each_required_statement_is_checked_in_the_rendered_text(lang: str, code: str) -> None:
    text = render_notice(notice(lang)).text
    assert text_gaps(text, lang) == []
    assert text_gaps(text.replace(STATEMENTS[lang][code], "…"), lang) == [code]


def test_every_element_has_both_languages_and_a_law() -> None:
    for element in ELEMENTS.values():
        assert element.zh and element.en and ("条例" in element.law or "512" in element.law)
    assert "作品登记证书" in describe(["ownership_proof"], "zh")


def test_times_are_given_in_the_holders_zone_as_beijing_time() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 12, 6, 18, 30, tzinfo=UTC)
    assert local_time(at, "Asia/Shanghai") == "2026-12-07 02:30 北京时间 (UTC+08:00)"
    assert local_time(at, "Europe/Berlin") == "2026-12-06 19:30 Europe/Berlin (UTC+01:00)"
    assert local_time(None, "Asia/Shanghai") == ""
