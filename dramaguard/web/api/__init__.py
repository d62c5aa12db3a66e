"""The JSON API under /api/v1 (OpenAPI at /api/openapi.json)."""
from __future__ import annotations

from fastapi import APIRouter

from dramaguard.web.api import account, admin, cases, claimants, music, rules, works
from dramaguard.web.schemas import ERRORS

router = APIRouter(prefix="/api/v1", responses=ERRORS)
for module in (account, works, cases, rules, music, admin, claimants):
    router.include_router(module.router)
