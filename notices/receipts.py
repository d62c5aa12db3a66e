"""Registration receipts (preventive registration): proof of what was registered, and when.

The receipt's SHA-256 is taken over its canonical JSON; evidence packages and notices cite it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from notices.render import RenderedDocument, render_document


@dataclass(frozen=True)
class RightsDocument:
    kind: str  # e.g. "著作权登记证书", "授权书"
    reference: str
    sha256: str = ""


@dataclass(frozen=True)
class RegistrationReceipt:
    receipt_id: str
    holder: str
    work_title: str
    registration_number: str
    episode_number: int
    source_name: str
    file_sha256: str
    size_bytes: int
    duration_s: float
    fingerprint_algorithm: str
    fingerprint_version: int
    fingerprint_digest: str
    registered_at: datetime
    issued_at: datetime
    documents: tuple[RightsDocument, ...] = ()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["registered_at"] = self.registered_at.isoformat()
        data["issued_at"] = self.issued_at.isoformat()
        data["documents"] = [asdict(d) for d in self.documents]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> RegistrationReceipt:
        fields = dict(data)
        fields["registered_at"] = datetime.fromisoformat(data["registered_at"])
        fields["issued_at"] = datetime.fromisoformat(data["issued_at"])
        fields["documents"] = tuple(RightsDocument(**d) for d in data.get("documents", ()))
        return cls(**fields)

    def to_json(self) -> str:
        """Canonical form (sorted keys, no spaces variance) so the digest is reproducible."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, indent=2)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def citation(self) -> dict:
        return {"receipt_id": self.receipt_id, "sha256": self.sha256,
                "file_sha256": self.file_sha256, "registered_at": self.registered_at.isoformat()}


def render_receipt(receipt: RegistrationReceipt) -> RenderedDocument:
    return render_document("receipt.txt.j2", {"r": receipt}, lang="zh")
