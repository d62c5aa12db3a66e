"""Evidence packages: what was seen, where, when, and side-by-side keyframes that show the match.

A package is a folder with ``evidence.json`` (candidate, segments, cited receipts, image hashes)
and ``keyframes/NN.png``; its SHA-256 (of the canonical JSON, which hashes every image) is what
notices cite, so any later change to a file is detectable.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from notices.model import CandidateInfo, EpisodeMatch

PANEL_HEIGHT = 360
LABEL_HEIGHT = 22


@dataclass(frozen=True)
class KeyframePair:
    """A query frame and the reference frame it matched (RGB arrays or PIL images)."""

    query_ms: int
    ref_ms: int
    query_image: np.ndarray | Image.Image
    ref_image: np.ndarray | Image.Image


@dataclass(frozen=True)
class EvidencePackage:
    evidence_id: str
    sha256: str
    directory: Path
    manifest: dict


def timecode(ms: int) -> str:
    seconds, millis = divmod(int(ms), 1000)
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes:02d}:{seconds:02d}.{millis // 100}"


def _as_image(image: np.ndarray | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"keyframe must be uint8, got {array.dtype}")
    return Image.fromarray(array).convert("RGB")


def side_by_side(pair: KeyframePair) -> Image.Image:
    """Query frame (left) next to the reference frame (right), same height, timecodes below."""
    panels = []
    for label, image in (
        (f"copy {timecode(pair.query_ms)}", pair.query_image),
        (f"original {timecode(pair.ref_ms)}", pair.ref_image),
    ):
        img = _as_image(image)
        width = max(1, round(img.width * PANEL_HEIGHT / img.height))
        img = img.resize((width, PANEL_HEIGHT), Image.Resampling.LANCZOS)
        panel = ImageOps.expand(img, border=(0, 0, 0, LABEL_HEIGHT), fill="white")
        ImageDraw.Draw(panel).text((6, PANEL_HEIGHT + 5), label, fill="black")
        panels.append(panel)
    gap = 8
    out = Image.new("RGB", (panels[0].width + gap + panels[1].width, panels[0].height), "white")
    out.paste(panels[0], (0, 0))
    out.paste(panels[1], (panels[0].width + gap, 0))
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def segment_summary(match: EpisodeMatch) -> str:
    """``copy ↔ original`` timecodes of every segment, for notices."""
    return "; ".join(
        f"{timecode(s.query_start_ms)}–{timecode(s.query_end_ms)} ↔ "
        f"{timecode(s.ref_start_ms)}–{timecode(s.ref_end_ms)}"
        for s in match.segments
    )


def build_evidence_package(
    *,
    evidence_id: str,
    directory: Path,
    candidate: CandidateInfo,
    matches: list[EpisodeMatch],
    keyframes: list[KeyframePair],
    receipts: list[dict],
    created_at: datetime,
    watermark: dict | None = None,
) -> EvidencePackage:
    """Write the package into ``directory`` (created; must be empty) and return its digest.

    ``watermark`` is the forensic watermark read from the copy (whose copy leaked), if any.

    Files are written under a temporary name and renamed, so a crash leaves no half package.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"evidence directory {directory} is not empty")
    frames_dir = directory / "keyframes"
    frames_dir.mkdir()
    frames = []
    for index, pair in enumerate(keyframes, start=1):
        path = frames_dir / f"{index:02d}.png"
        side_by_side(pair).save(path.with_suffix(".tmp"), format="PNG")
        path.with_suffix(".tmp").replace(path)
        frames.append({
            "file": f"keyframes/{path.name}",
            "query_ms": pair.query_ms,
            "ref_ms": pair.ref_ms,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        })
    cand = asdict(candidate)
    for key in ("uploaded_at", "captured_at"):
        cand[key] = _iso(getattr(candidate, key))
    manifest = {
        "evidence_id": evidence_id,
        "created_at": created_at.isoformat(),
        "candidate": cand,
        "matches": [
            {
                "work_id": m.work_id, "episode_id": m.episode_id,
                "episode_number": m.episode_number, "score": round(m.score, 4),
                "query_share": round(m.query_share, 4), "ref_share": round(m.ref_share, 4),
                "matched_ms": m.matched_ms,
                "segments": [asdict(s) for s in m.segments],
            }
            for m in matches
        ],
        "keyframes": frames,
        "registration_receipts": receipts,
    }
    if watermark is not None:
        manifest["watermark"] = watermark
    body = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2)
    tmp = directory / "evidence.json.tmp"
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(directory / "evidence.json")
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return EvidencePackage(evidence_id, digest, directory, manifest)
