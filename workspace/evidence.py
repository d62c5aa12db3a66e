"""A case's evidence read back from its package: the sealed manifest, keyframes verified against it,
and the matched segments as timelines.

Keyframes are read from the case's evidence package (``evidence.json`` lists them with their
SHA-256); a file whose bytes no longer match the manifest is refused, never shown as evidence.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from storage.cases import Case
from storage.evidence_store import case_package_dir


class EvidenceError(Exception):
    """The evidence package is missing or was changed after it was sealed."""

    expected = True


def manifest(case: Case, home: Path) -> dict | None:
    if not case.evidence_dir:
        return None
    path = case_package_dir(home, case) / "evidence.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def keyframe_bytes(case: Case, home: Path, index: int) -> bytes:
    """The PNG of keyframe ``index`` (1-based), verified against the sealed manifest."""
    data = manifest(case, home)
    frames = (data or {}).get("keyframes", [])
    if not 1 <= index <= len(frames):
        raise LookupError(f"case {case.id} has no keyframe {index}")
    entry = frames[index - 1]
    root = case_package_dir(home, case).resolve()
    path = (root / entry["file"]).resolve()
    if not path.is_relative_to(root):
        raise EvidenceError(f"case {case.id}: keyframe path leaves the evidence folder")
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"case {case.id}: keyframe {index} is missing") from exc
    if hashlib.sha256(body).hexdigest() != entry.get("sha256"):
        raise EvidenceError(f"case {case.id}: keyframe {index} does not match the evidence manifest")
    return body


@dataclass(frozen=True)
class Bar:
    """One matched segment drawn on a timeline, as percentages of the video's length."""

    left: float
    width: float
    label: str


def timelines(case: Case) -> tuple[list[Bar], list[Bar], float, float]:
    """Segments on the copy and on the original, and the two lengths (s) they are drawn against.

    The original's length is the registered episode's; the copy's is not stored, so its bar
    spans at least to the last matched second.
    """
    segments = [s for m in case.matches or [] for s in m.get("segments", [])]
    ref_s = case.episode.duration_s if case.episode else 0.0
    ref_s = max([ref_s] + [s["ref_end_ms"] / 1000 for s in segments] + [0.001])
    query_s = max([s["query_end_ms"] / 1000 for s in segments] + [0.001])

    def bars(side: str, length: float) -> list[Bar]:
        out = []
        for s in segments:
            start, end = s[f"{side}_start_ms"] / 1000, s[f"{side}_end_ms"] / 1000
            out.append(Bar(100 * start / length, max(0.5, 100 * (end - start) / length), f"{start:.1f}–{end:.1f} s"))
        return out

    return bars("query", query_s), bars("ref", ref_s), query_s, ref_s
