"""Side-by-side figures of two systems' predictions on one bench split (numpy only).

Mirrors ``score.py``'s rules (best prediction per pair, derived edits left out, µAP evaluated at
the end of each tied-score group) and adds what the scorer does not print: recall at precision
0.99 and per-transform recall at a given threshold, so two systems fit in one Markdown table.
"""
from __future__ import annotations

import collections
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Figures:
    uap: float
    recall_p99: float
    threshold_p99: float
    threshold: float
    precision: float
    recall: float
    false_positives: int
    hard_negatives: str
    per_transform: dict[str, tuple[int, int]]
    query_iou: float | None = None  # mean over localized true positives at the threshold
    ref_iou: float | None = None


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def figures(preds: list[dict], truth: list[dict], threshold: float | None) -> Figures:
    """Figures of one system; ``threshold=None`` takes the system's own point at precision ≥ 0.99."""
    pos = {(t["query"], t["reference"]): t for t in truth if t["label"] == "copy"}
    ignore = {(t["query"], t["reference"]) for t in truth if t["label"] == "derived_edit"}
    best: dict[tuple[str, str], dict] = {}
    for p in preds:
        key = (p["query"], p["reference"])
        if key not in best or p["score"] > best[key]["score"]:
            best[key] = p
    ranked = sorted((p for k, p in best.items() if k not in ignore), key=lambda p: -p["score"])
    y = np.array([(p["query"], p["reference"]) in pos for p in ranked], bool)
    s = np.array([p["score"] for p in ranked], float)
    tp, fp = np.cumsum(y), np.cumsum(~y)
    prec, rec = tp / np.maximum(tp + fp, 1), tp / max(len(pos), 1)
    last = np.r_[s[1:] != s[:-1], True] if len(s) else np.array([], bool)
    P, R, S = prec[last], rec[last], s[last]
    uap = float(np.sum(np.diff(np.r_[0.0, R]) * P)) if len(P) else 0.0
    ok = P >= 0.99
    r99 = float(R[ok].max()) if ok.any() else 0.0
    t99 = float(S[ok][np.argmax(R[ok])]) if ok.any() else float("inf")
    thr = t99 if threshold is None else threshold
    hit = {k for k, p in best.items() if p["score"] >= thr}
    tp_n = sum(1 for k in pos if k in hit)
    fp_n = sum(1 for k in hit if k not in pos and k not in ignore)
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for key, t in pos.items():
        for name in set(t["transforms"]) | {"ALL", "combo" if len(t["transforms"]) > 1 else "single"}:
            per[name][0] += key in hit
            per[name][1] += 1
    q_ious, r_ious = [], []
    for key, t in pos.items():
        p = best.get(key)
        if p and p["score"] >= thr and p.get("segments"):
            g = t["segments"][0]
            q_ious.append(max(_iou(x["query"], g["query"]) for x in p["segments"]))
            r_ious.append(max(_iou(x["ref"], g["ref"]) for x in p["segments"]))
    hn = [t for t in truth if t["label"] == "hard_negative"]
    hn_hit = sum(1 for t in hn if (t["query"], t.get("related_reference")) in hit)
    return Figures(
        uap=uap,
        recall_p99=r99,
        threshold_p99=t99,
        threshold=thr,
        precision=tp_n / max(tp_n + fp_n, 1),
        recall=tp_n / max(len(pos), 1),
        false_positives=fp_n,
        hard_negatives=f"{hn_hit}/{len(hn)}",
        per_transform={k: (v[0], v[1]) for k, v in per.items()},
        query_iou=float(np.mean(q_ious)) if q_ious else None,
        ref_iou=float(np.mean(r_ious)) if r_ious else None,
    )


def _iou(a: list[float], b: list[float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


# transforms held to the lower bar of the issue (several edits chained, picture-in-picture)
LOWER_BAR = {"pip": 0.85, "combo": 0.85}


def targets(ours: Figures, speed_ratio: float | None = None) -> list[tuple[str, bool]]:
    """The issue's targets, each with whether this run meets it."""
    checks = [
        (f"uAP {ours.uap:.4f} >= 0.97", ours.uap >= 0.97),
        (f"precision {ours.precision:.3f} >= 0.99 at the settings threshold", ours.precision >= 0.99),
        (f"recall {ours.recall:.3f} >= 0.95 at the settings threshold", ours.recall >= 0.95),
    ]
    for name, (hit, n) in sorted(ours.per_transform.items()):
        bar = LOWER_BAR.get(name, 0.95)
        checks.append((f"recall {name} {hit}/{n} >= {bar}", hit / n >= bar))
    checks.append((f"false positives {ours.false_positives} == 0", ours.false_positives == 0))
    checks.append((f"hard negatives matched {ours.hard_negatives} == 0", ours.hard_negatives.startswith("0/")))
    for side, value in (("query", ours.query_iou), ("reference", ours.ref_iou)):
        checks.append((f"mean {side}-side IoU {value if value is None else round(value, 3)} >= 0.85",
                       value is not None and value >= 0.85))
    if speed_ratio is not None:
        checks.append((f"fingerprinting / decoding CPU {speed_ratio:.2f} <= 1.5", speed_ratio <= 1.5))
    return checks


def markdown_table(ours: Figures, peer: Figures, names: tuple[str, str] = ("DramaGuard", "vPDQ")) -> str:
    """One table: headline figures, then recall per transform at each system's threshold."""

    def pct(h: int, n: int) -> str:
        return f"{h}/{n} = {h / n:.2f}"

    rows = [
        f"| figure | {names[0]} | {names[1]} |",
        "|---|---|---|",
        f"| µAP (all pairs) | **{ours.uap:.4f}** | {peer.uap:.4f} |",
        f"| recall at precision ≥ 0.99 | **{ours.recall_p99:.4f}** (score ≥ {ours.threshold_p99:.3g})"
        f" | {peer.recall_p99:.4f} (score ≥ {peer.threshold_p99:.3g}) |",
        f"| operating threshold used below | {ours.threshold:.3g} (settings) | {peer.threshold:.3g}"
        " (its best at P ≥ 0.99) |",
        f"| precision / recall there | {ours.precision:.3f} / {ours.recall:.3f}"
        f" | {peer.precision:.3f} / {peer.recall:.3f} |",
        f"| false positives there | {ours.false_positives} | {peer.false_positives} |",
        f"| hard negatives matched there | {ours.hard_negatives} | {peer.hard_negatives} |",
    ]
    names_sorted = sorted(ours.per_transform, key=lambda k: (k != "ALL", k))
    for name in names_sorted:
        a = ours.per_transform[name]
        b = peer.per_transform.get(name, (0, a[1]))
        rows.append(f"| recall: {name} | {pct(*a)} | {pct(*b)} |")
    return "\n".join(rows)
