"""The hostile corpus put in through the API and the UI's forms, and every place it comes out.

Each corpus string (``tests/hostile_corpus.py``) goes into every free-text input an operator or a
tenant can fill: work title, aliases and registration number, review notes, claimant profile,
allowlist value and note, policy rule name, exclusion reason, user display names and rights
holder names — once through the JSON API and once through the HTML form (CSRF token and session
cookie, as a browser posts it). Each is refused (4xx, never 5xx) or stored without a control or
bidi character, and then comes out inert: every page that shows it is escaped (no raw markup,
no control character), the notice preview's text carries none, the notice (subject, text, PDF)
delivered to a real SMTP server has one recipient and only our headers, the preview and the
case PDF parse with pypdf, and the CSV export parses into one row per case with no cell a
spreadsheet would run as a formula.
"""
from __future__ import annotations

import asyncio
import csv
import dataclasses
import email
import io
from email import policy as email_policy

import pypdf
import pytest

from notices.channels import EmailChannel
from storage.auth import Role
from storage.cases import Case
from storage.db import transaction
from tests.hostile_corpus import BAD, CORPUS, RAW
from tests.notices.servers import SmtpSink, start_smtp
from tests.notices.test_channels import with_recipient

from .conftest import World, add_case, complete_claimant, fake_episode

API = "/api/v1"
FORMULA = ("=", "+", "-", "@", "\t", "\r")
PROFILE = {"legal_name": "星河短剧有限公司", "address": "上海市", "email": "legal@xinghe.example",
           "phone": "+86 21 5555 0100", "signatory": "李明", "signatory_capacity": "法务总监"}


def _cookie(world: World, role: Role, tenant: str | None = "A") -> dict:
    return {"Cookie": f"dg_session={world.actor(role, tenant).cookie}"}


def _post_form(world: World, who: Role, path: str, /, **fields):
    data = {"csrf_token": world.actor(who).csrf, **fields}
    return world.client.post(path, data=data, headers=_cookie(world, who), follow_redirects=False)


def _accepted(response) -> bool:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    return response.status_code < 400


def _clean(value) -> None:
    """A value as stored and read back: no control or bidi character (tab/line feed allowed)."""
    for text in (value if isinstance(value, list) else [value]):
        assert text is None or not BAD.search(text), f"stored with a control/bidi character: {text[:80]!r}"


def _page_is_inert(world: World, path: str, role: Role = Role.RIGHTS_HOLDER) -> str:
    response = world.client.get(path, headers=_cookie(world, role))
    assert response.status_code == 200, (path, response.status_code)
    html = response.text
    for raw in RAW:
        assert raw not in html, f"{path} shows {raw!r} unescaped"
    assert not BAD.search(html), f"{path} carries a control or bidi character"
    return html


def _api_inputs(world: World, name: str, payload: str) -> dict:
    """Every API text input gets ``payload``; returns what was stored (ids to look at)."""
    rh, legal, admin = (world.actor(r).bearer for r in (Role.RIGHTS_HOLDER, Role.LEGAL, Role.ADMIN))
    client, out = world.client, {}
    made = client.post(f"{API}/works", headers=rh, json={"title": payload, "aliases": [payload, "别名"],
                                                          "registration_number": payload[:100]})
    if _accepted(made):
        work = made.json()
        _clean([work["title"], *work["aliases"], work["registration_number"]])
        out["work"] = work["id"]
    wid = world.work_ids["A"]
    if _accepted(client.patch(f"{API}/works/{out.get('work', wid)}", headers=rh, json={"aliases": [payload]})):
        _clean(client.get(f"{API}/works/{out.get('work', wid)}", headers=rh).json()["aliases"])
    case_id = add_case(world.app, wid)
    if _accepted(client.post(f"{API}/cases/{case_id}/reject", headers=legal, json={"note": payload})):
        out["case"] = case_id
    if _accepted(client.put(f"{API}/claimant", headers=rh, json={**PROFILE, "signatory": payload})):
        _clean(client.get(f"{API}/claimant", headers=rh).json()["signatory"])
    allow = client.post(f"{API}/allowlist", headers=rh, json={"kind": "account", "value": payload,
                                                                "note": payload, "work_id": wid})
    if _accepted(allow):
        _clean([allow.json()["value"], allow.json()["note"]])
    rule = client.post(f"{API}/works/{wid}/policy", headers=rh, json={"action": "track", "name": payload,
                                                                       "min_matched_s": 86_400, "priority": 1})
    if _accepted(rule):
        _clean(rule.json()["name"])
    exclusion = client.post(f"{API}/works/{wid}/exclusions", headers=rh,
                            json={"episode_id": fake_episode(world.app, wid), "start_s": 1, "end_s": 2,
                                  "reason": payload})
    if _accepted(exclusion):
        _clean(exclusion.json()["reason"])
    holder = client.post(f"{API}/holders", headers=admin, json={"name": f"{name}-{payload}"})
    if _accepted(holder):
        _clean(holder.json()["name"])
    user = client.post(f"{API}/users", headers=admin, json={
        "email": f"api-{name}@example.test", "role": "legal", "holder_id": world.holder_ids["A"],
        "display_name": payload})
    if _accepted(user):
        _clean(user.json()["display_name"])
    return out


def _form_inputs(world: World, name: str, payload: str) -> dict:
    """Every HTML form's text input gets ``payload`` (posted as the browser posts it)."""
    rh, out = Role.RIGHTS_HOLDER, {}
    wid = world.work_ids["A"]
    made = _post_form(world, rh, "/works", title=f"{name} {payload}", aliases=f"{payload},别名",
                      registration_number=payload[:100])
    if _accepted(made):
        out["work"] = int(made.headers["location"].rstrip("/").rsplit("/", 1)[1])
        _accepted(_post_form(world, rh, f"/works/{out['work']}/edit", title=f"{name} {payload}",
                             aliases=payload, registration_number=payload[:100]))
    case_id = add_case(world.app, wid)
    if _accepted(_post_form(world, Role.LEGAL, f"/cases/{case_id}/review", decision="reject", note=payload)):
        out["case"] = case_id
    _accepted(_post_form(world, rh, "/claimant", **{**PROFILE, "signatory_capacity": payload}))
    _accepted(_post_form(world, rh, "/allowlist", kind="account", value=payload, note=payload, work_id=str(wid)))
    _accepted(_post_form(world, rh, f"/works/{wid}/policy", action="track", name=payload, min_matched_s="86400",
                         priority="1"))
    _accepted(_post_form(world, rh, f"/works/{wid}/exclusions", episode_id=str(fake_episode(world.app, wid)),
                         start_s="3", end_s="4", reason=payload))
    _accepted(_post_form(world, Role.ADMIN, "/holders", name=f"form-{name}-{payload}"))
    _accepted(_post_form(world, Role.ADMIN, "/users", email=f"form-{name}@example.test", role="legal",
                         password="a long enough secret", holder_id=str(world.holder_ids["A"]),
                         display_name=payload))
    return out


@pytest.mark.parametrize("via", ["api", "form"])
@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_through_every_input_is_refused_or_stored_inert_and_shown_escaped(
        world: World, via: str, name: str) -> None:
    made = (_api_inputs if via == "api" else _form_inputs)(world, name, CORPUS[name])
    wid = world.work_ids["A"]
    pages = ["/works", f"/works/{wid}", f"/works/{wid}/rules", "/allowlist", "/claimant", "/cases"]
    pages += [f"/works/{made['work']}"] if "work" in made else []
    pages += [f"/cases/{made['case']}"] if "case" in made else []
    for path in pages:
        _page_is_inert(world, path)
    _page_is_inert(world, "/users", Role.ADMIN)
    _page_is_inert(world, f"/cases/{made.get('case') or add_case(world.app, wid)}", Role.LEGAL)


def _hostile_case(world: World, name: str, tag: str = "") -> int:
    """A case on a work titled with the corpus string (through the API), its upload's title and
    uploader name (as a crawler delivers them) hostile too."""
    payload = CORPUS[name]
    rh = world.actor(Role.RIGHTS_HOLDER).bearer
    made = world.client.post(f"{API}/works", headers=rh, json={"title": f"{tag}{name}:{payload}"[:300]})
    assert made.status_code == 201, made.text
    complete_claimant(world.app, made.json()["id"])
    case_id = add_case(world.app, made.json()["id"])
    with transaction(world.app.state.services.sessions) as session:
        case = session.get_one(Case, case_id)
        case.title, case.uploader_name, case.uploader_id = payload[:500], payload[::-1][:300], payload[:200]
    return case_id


@pytest.mark.parametrize("name", list(CORPUS))
def test_notice_preview_e_mail_and_pdfs_of_a_hostile_case(world: World, name: str) -> None:
    case_id = _hostile_case(world, name)
    rh = world.actor(Role.RIGHTS_HOLDER).bearer
    # the crawler's text is stored as the uploader set it (evidence); pages show controls as U+FFFD
    assert "\ufffd" in _page_is_inert(world, f"/cases/{case_id}") or not BAD.search(CORPUS[name])
    _page_is_inert(world, f"/cases?q={name}")
    _page_is_inert(world, "/queue", Role.LEGAL)
    preview = world.client.get(f"{API}/cases/{case_id}/preview", headers=rh, params={"lang": "zh"})
    assert preview.status_code == 200, preview.text[:300]
    body = preview.json()
    assert not BAD.search(body["text"]) and not BAD.search(body["title"]) and "\n" not in body["title"]
    for path in (f"{API}/cases/{case_id}/preview.pdf", f"/cases/{case_id}/export.pdf"):
        pdf = world.client.get(path, headers=_cookie(world, Role.RIGHTS_HOLDER) if path[1] == "c" else rh)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf", (path, pdf.text[:200])
        reader = pypdf.PdfReader(io.BytesIO(pdf.content))
        assert len(reader.pages) >= 1 and pdf.content.rstrip().endswith(b"%%EOF")
        drawn = "".join(page.extract_text() for page in reader.pages).replace("\n", "").replace(" ", "")
        assert name in drawn, f"{path} does not show the work's title"
    sink = SmtpSink()
    controller = start_smtp(sink)
    try:
        channel = EmailChannel(host="127.0.0.1", port=controller.port, sender="星河 <dg@xinghe.example>")
        outgoing = dataclasses.replace(with_recipient("copyright@platform.example"), subject=body["title"],
                                       text=body["text"], html=f"<p>{body['text'][:200]}</p>", pdf=pdf.content)
        asyncio.run(channel.deliver(outgoing, key=f"dg-forms-{name}"))
    finally:
        controller.stop()
    [received] = sink.messages
    assert received.rcpt_tos == ["copyright@platform.example"]
    message = email.message_from_bytes(received.original_content, policy=email_policy.default)
    assert set(message.keys()) == {"From", "To", "Subject", "Date", "Message-ID", "X-DramaGuard-Notice",
                                   "MIME-Version", "Content-Type"}
    assert [a.addr_spec for a in message["To"].addresses] == ["copyright@platform.example"]
    assert "\n" not in str(message["Subject"]) and not BAD.search(str(message["Subject"]))


def test_csv_export_of_hostile_cases_is_one_row_each_and_no_formula(world: World) -> None:
    ids = {_hostile_case(world, name, "csv-"): name for name in CORPUS}
    response = world.client.get("/cases.csv", params={"lang": "en"}, headers=_cookie(world, Role.RIGHTS_HOLDER))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    header, rows = rows[0], rows[1:]
    assert all(len(row) == len(header) for row in rows)
    by_id = {int(row[0]): row for row in rows}
    assert len(by_id) == len(rows) and set(ids) <= set(by_id), "not one row per case"
    for case_id, name in ids.items():
        row = by_id[case_id]
        for cell in row:
            assert not cell.startswith(FORMULA), f"{name}: a cell a spreadsheet runs: {cell[:60]!r}"
            assert not BAD.search(cell), f"{name}: a control/bidi character in a cell"
        assert row[1].startswith(f"csv-{name}:"), f"{name}: the work's title is not in its cell"
    formula_row = by_id[next(i for i, n in ids.items() if n == "formula")]
    assert formula_row[5].startswith("'=HYPERLINK(")  # neutralised, still readable
