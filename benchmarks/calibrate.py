"""Calibration: the notify threshold and the review floor, derived from sets built here.

Scans the development set and one or more freshly built series sets (``benchmarks.series_set``,
one per seed) exactly as ``benchmarks.accuracy`` does, pools every claim — each (query, episode)
pair with a claim score above 0, labelled true when the truth lists it as a copy — and prints,
per score bin, the claims true and false, and per set and pooled, the precision and recall at
each candidate threshold. Then it chooses the operating point on the pooled claims:

- **notify threshold**: precision first — the steps (0.05 grid) from which claim precision stays
  at least ``--precision`` (0.99) at every step above are allowed, none below the lowest claim
  seen; of those, the highest that keeps claim recall ≥ ``--recall`` (0.95), the widest margin
  to the false claims; if none keeps it, the lowest allowed (recall is then missed and said so);
- **review floor**: the lowest step below the notify threshold where the claims between the two
  are at least ``--review-precision`` (0.5) true — at least one case in two in the review queue
  is a real copy — at most one step below the lowest claim seen (below it there is no data).

    .venv/bin/python -m benchmarks.calibrate [--seeds 25 26] [--series DIR ...] [--keep DIR]
                                             [--bench ../shared/bench --split dev]

The settings are not changed: the output says whether the configured ``notify_score`` /
``review_score`` agree with the data (``benchmarks/RESULTS.md`` keeps a run).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import compare
from benchmarks.accuracy import REPO, predictions
from dramaguard.settings import Settings

STEP = 0.05
GRID = tuple(round(i * STEP, 2) for i in range(int(round(1 / STEP)) + 1))


@dataclass(frozen=True)
class Labelled:
    """One set's claims as (score, true?) and how many copies it holds (recall's denominator)."""

    name: str
    claims: tuple[tuple[float, bool], ...]
    copies: int
    overlap_only: int = 0  # claims (score > 0) by queries of shared footage alone


def label(name: str, rows: list[dict], truth: list[dict]) -> Labelled:
    """The best claim per (query, reference), as ``compare.figures`` ranks them; derived edits
    are neither true nor false and are left out."""
    pos = {(t["query"], t["reference"]) for t in truth if t["label"] == "copy"}
    ignore = {(t["query"], t["reference"]) for t in truth if t["label"] == "derived_edit"}
    shared = {t["query"] for t in truth if t["label"] == "overlap_only"}
    best: dict[tuple[str, str], float] = {}
    for r in rows:
        key = (r["query"], r["reference"])
        if key not in ignore and r["score"] > 0:
            best[key] = max(best.get(key, 0.0), r["score"])
    claims = tuple(sorted(((s, k in pos) for k, s in best.items()), reverse=True))
    return Labelled(name, claims, len(pos), sum(1 for q, _ in best if q in shared))


def pooled(sets: list[Labelled]) -> Labelled:
    return Labelled("pooled", tuple(sorted((c for s in sets for c in s.claims), reverse=True)),
                    sum(s.copies for s in sets), sum(s.overlap_only for s in sets))


def at(data: Labelled, threshold: float) -> tuple[float | None, float, int, int]:
    """(precision or None when nothing claims, recall, true, false) of the claims ≥ threshold."""
    hits = [ok for s, ok in data.claims if s >= threshold]
    true = sum(hits)
    return (true / len(hits) if hits else None), true / max(data.copies, 1), true, len(hits) - true


def bins(data: Labelled) -> list[tuple[float, int, int]]:
    """(bin start, true, false) per STEP-wide bin of claim score; the last bin holds 1.0."""
    out = []
    for lo in GRID[:-1]:
        inside = [ok for s, ok in data.claims if lo <= s < lo + STEP or (lo == GRID[-2] and s >= 1.0)]
        out.append((lo, sum(inside), len(inside) - sum(inside)))
    return out


def lowest_precise(data: Labelled, precision: float) -> float:
    """The lowest grid step from which precision is ≥ ``precision`` at every step above."""
    chosen = GRID[-1]
    for t in reversed(GRID):
        p, *_ = at(data, t)
        if p is not None and p < precision:
            break
        chosen = t
    return chosen


def notify_threshold(data: Labelled, precision: float, recall: float) -> float:
    """Precision first: the steps from :func:`lowest_precise` up are allowed; of those that keep
    ``recall``, the highest (the widest margin to the false claims below); if none keeps it, the
    lowest allowed. Never below the lowest claim seen: the data say nothing under it."""
    low = lowest_precise(data, precision)
    if data.claims:
        low = max(low, _step_below(min(s for s, _ in data.claims)))
    keeping = [t for t in GRID if t >= low and at(data, t)[1] >= recall]
    return max(keeping) if keeping else low


def review_floor(data: Labelled, notify: float, precision: float) -> float:
    """The lowest grid step under ``notify`` whose band [step, notify) is ≥ ``precision`` true,
    one step below the lowest claim seen at most (under it the data say nothing)."""
    under = [s for s, _ in data.claims if s < notify]
    bottom = _step_below(min(under, default=notify)) - STEP
    for t in (g for g in GRID if bottom - 1e-9 <= g < notify):
        band = [ok for s, ok in data.claims if t <= s < notify]
        if not band or sum(band) / len(band) >= precision:
            return t
    return notify


def _step_below(score: float) -> float:
    """The grid step at or below a score."""
    return max(g for g in GRID if g <= score + 1e-9)


def table(sets: list[Labelled]) -> list[str]:
    """Precision / recall (true, false) per set and pooled at every 0.1 step."""
    head = "| threshold | " + " | ".join(s.name for s in sets) + " |"
    lines = [head, "|" + "---|" * (len(sets) + 1)]
    for t in GRID[::2]:
        cells = []
        for s in sets:
            p, r, tp, fp = at(s, t)
            cells.append(f"{'—' if p is None else f'{p:.3f}'} / {r:.3f} ({tp}, {fp})")
        lines.append(f"| {t:.2f} | " + " | ".join(cells) + " |")
    return lines


def bin_table(data: Labelled) -> list[str]:
    lines = ["| claim score | true | false | precision |", "|---|---|---|---|"]
    for lo, tp, fp in bins(data):
        if tp or fp:
            hi = "1.00]" if lo == GRID[-2] else f"{lo + STEP:.2f})"
            lines.append(f"| [{lo:.2f}, {hi} | {tp} | {fp} | {tp / (tp + fp):.3f} |")
    return lines


def scan(name: str, split: Path, home: Path) -> Labelled:
    start = time.monotonic()
    rows, errors = predictions(split, home)
    for error in errors:
        print(f"error ({name}): {error}", file=sys.stderr)
    (home.parent / f"{name}.predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = label(name, rows, compare.load_jsonl(split / "truth.jsonl"))
    print(f"-- {name}: {len(data.claims)} claims, {data.copies} copies ({time.monotonic() - start:.0f} s)", flush=True)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--seeds", type=int, nargs="*", default=[25], help="series sets to build and scan")
    parser.add_argument("--series", type=Path, nargs="*", default=[], help="splits already built (OUT/series, OUT/weak, OUT/crop, OUT/real_weak)")
    parser.add_argument("--keep", type=Path, help="build and scan here instead of a temp dir")
    parser.add_argument("--precision", type=float, default=0.99, help="claim precision the notify threshold keeps")
    parser.add_argument("--recall", type=float, default=0.95, help="claim recall the notify threshold should keep")
    parser.add_argument("--review-precision", type=float, default=0.5, help="true share of the review band")
    args = parser.parse_args()
    from benchmarks.series_set import build

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        sets = [scan(args.split, args.bench / args.split, out / f"home-{args.split}")]
        for seed in args.seeds:
            split = out / f"seed{seed}" / "series"
            if not (split / "truth.jsonl").exists():
                build(split, seed)
            sets.append(scan(f"series{seed}", split, out / f"home-seed{seed}"))
        for n, split in enumerate(args.series):
            sets.append(scan(f"{split.name}:{split.parent.name or n}", split, out / f"home-given{n}"))  # weak:s25
    everything = pooled(sets)
    print("== claim precision / recall (true, false) at each threshold, per set and pooled")
    print("\n".join(table([*sets, everything])))
    print("== pooled claims per score bin")
    print("\n".join(bin_table(everything)))
    notify = notify_threshold(everything, args.precision, args.recall)
    floor = review_floor(everything, notify, args.review_precision)
    configured = Settings().matcher
    print(f"== operating point (pooled, {len(everything.claims)} claims, {everything.copies} copies; "
          f"claims by shared footage alone: {everything.overlap_only})")
    print(f"precision >= {args.precision} from {lowest_precise(everything, args.precision):.2f} up; "
          f"lowest claim seen {min((s for s, _ in everything.claims), default=0):.3f}")
    for name, (n, f) in (("chosen", (notify, floor)),
                         ("configured", (configured.notify_score, configured.review_score))):
        p, r, tp, fp = at(everything, n)
        band = [ok for s, ok in everything.claims if f <= s < n]
        print(f"{name}: notify {n:.2f} (precision {'—' if p is None else f'{p:.3f}'}, recall {r:.3f}, "
              f"{tp} true, {fp} false), review floor {f:.2f} (band holds {sum(band)} true, "
              f"{len(band) - sum(band)} false)")

if __name__ == "__main__":
    main()
