"""The claimant / proof / preview endpoints in the authorization matrix (test_authz_matrix).

The matrix world has no complete claimant profile: a notice preview answers 409 (blocked) to
whoever may see the case, and 404 to another tenant. Proofs made here are seal images, so the
world never becomes ready to notify whatever order the matrix runs in.
"""
from __future__ import annotations

from datetime import UTC, datetime

from monitor.demo_profile import example_seal_png
from notices.proofs import ProofKind
from storage.claimants import store_proof
from storage.db import transaction

PROFILE = {"legal_name": "矩阵公司", "address": "北京", "email": "m@example.test", "phone": "010-1",
           "signatory": "甲", "signatory_capacity": "法定代表人"}


def new_proof(world, tenant: str) -> str:
    with transaction(world.app.state.services.sessions) as session:
        row = store_proof(session, home=world.app.state.settings.home, holder_id=world.holder_ids[tenant],
                          work_id=None, kind=ProofKind.SEAL, filename="seal.png", data=example_seal_png(),
                          uploaded_by="matrix", at=datetime.now(UTC), max_bytes=1 << 20)
        return str(row.id)


def endpoints(Endpoint, ALL, OWNERS) -> list:
    fresh_proof = lambda w, t: {"proof": new_proof(w, t)}  # noqa: E731
    return [
        Endpoint("GET", "/api/v1/claimant?holder_id={holder}", ALL, 200),
        Endpoint("PUT", "/api/v1/claimant?holder_id={holder}", OWNERS, 200, json=lambda w, t: PROFILE),
        Endpoint("GET", "/api/v1/proofs?holder_id={holder}", ALL, 200),
        Endpoint("POST", "/api/v1/proofs?holder_id={holder}&kind=seal&filename=seal.png", OWNERS, 201,
                 content=example_seal_png),
        Endpoint("GET", "/api/v1/proofs/{proof}/file", ALL, 200),
        Endpoint("DELETE", "/api/v1/proofs/{proof}", OWNERS, 204, fresh=fresh_proof),
        Endpoint("PUT", "/api/v1/works/{work}/registration", OWNERS, 200,
                 json=lambda w, t: {"registration_number": "国作登字-矩阵"}),
        Endpoint("GET", "/api/v1/works/{work}/readiness", ALL, 200),
        Endpoint("GET", "/api/v1/platforms", ALL, 200, foreign=None),
        Endpoint("GET", "/api/v1/cases/{case}/preview", ALL, 409),
        Endpoint("GET", "/api/v1/cases/{case}/preview.pdf", ALL, 409),
        Endpoint("GET", "/api/v1/notices/{notice}/files/{kind}", ALL, 200),
        Endpoint("GET", "/api/v1/problems", ALL, 200, foreign=None),
    ]


def ui_endpoints(Endpoint, ALL, OWNERS) -> list:
    return [
        Endpoint("GET", "/claimant?holder_id={holder}", ALL, 200, ui=True),
        Endpoint("GET", "/works/{work}/notice-documents", ALL, 200, ui=True),
        Endpoint("GET", "/works/{work}/readiness", ALL, 200, ui=True),
        Endpoint("GET", "/alerts", ALL, 200, foreign=None, ui=True),
        Endpoint("GET", "/notices/{notice}", ALL, 200, ui=True),
        Endpoint("GET", "/problems", ALL, 200, foreign=None, ui=True),
        Endpoint("POST", "/claimant", OWNERS, 303, ui=True,
                 form=lambda w, t: {**PROFILE, "time_zone": "Asia/Shanghai", "holder_id": str(w.holder_ids[t])}),
        # no file part: who may upload gets as far as the form check (422), the rest 403
        Endpoint("POST", "/proofs", OWNERS, 422, foreign=None, ui=True, form=lambda w, t: {"kind": "seal"}),
        Endpoint("POST", "/proofs/{proof}/delete", OWNERS, 303, ui=True,
                 fresh=lambda w, t: {"proof": new_proof(w, t)}, form=lambda w, t: {}),
        Endpoint("POST", "/works/{work}/registration", OWNERS, 303, ui=True,
                 form=lambda w, t: {"registration_number": "国作登字-表单"}),
    ]
