"""Accuracy and speed on the development benchmark (../shared/bench/dev).

Registers the references in a temporary home, scans every query through the same code path as
``dramaguard scan --json --min-score 0``, writes predictions and prints the scorer's output, then
the fingerprinting speed next to the decoder's own time on the same files. Unless ``--no-peer``,
the same run also scores Meta's vPDQ (the open peer, ``benchmarks.vpdq_baseline``) and prints
both systems side by side in one Markdown table (the one kept in RESULTS.md).

    .venv/bin/python -m benchmarks.accuracy [--bench ../shared/bench] [--split dev] [--keep DIR]
                                            [--no-peer] [--backend faiss-flat|faiss-ivf|milvus] [--no-speed]
                                            [--scorer ../shared/bench/score.py]

Scores are claims (``matcher.claims``: each query second belongs to at most one episode); the
pairs before resolution are scored too, side by side.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

from benchmarks import compare
from indexing.catalogue import Services
from dramaguard.settings import Settings
from fingerprint import fingerprint_video

REPO = Path(__file__).resolve().parent.parent


def predictions(split: Path, home: Path, backend: str = "faiss-flat",
                scan_speed: dict | None = None) -> tuple[list[dict], list[str]]:
    """Our predictions (every pair the matcher considered, scored as claims, with the pair's own
    score in ``pair_score``) and the per-file errors. A split whose refs.jsonl names works
    (``"work"``, ``"holder"``, ``"episode"``) registers them as such, in that order, so that
    registration finds the footage episodes share. ``scan_speed`` receives the scan's own CPU
    time (fingerprint + match of every query, in this process) and video seconds."""
    settings = Settings(home=home, index={"backend": backend})
    rows, errors = [], []
    with Services.open(settings) as services:
        for work, holder, start, refs in registrations(split):
            for result in services.register_files(refs, work=work, holder=holder, episode_start=start):
                if result.error:
                    errors.append(result.error)
        cpu, video_s = time.process_time(), 0.0
        for query in sorted((split / "queries").glob("*.mp4")):
            report = services.scan_file(query, min_score=0.0)
            video_s += report_duration(query)
            if report.error:
                errors.append(report.error)
            for m in report.matches:
                rows.append(
                    {
                        "query": f"queries/{query.name}",
                        "reference": f"refs/{m.reference}",
                        "score": m.score,
                        "pair_score": m.pair_score if m.pair_score is not None else m.score,
                        "claim": m.claim,
                        "segments": [{"query": s["query"], "ref": s["ref"]} for s in m.segments],
                    }
                )
        if scan_speed is not None:
            cpu = time.process_time() - cpu
            scan_speed.update(scan_cpu_s=round(cpu, 2), scanned_video_s=round(video_s, 1),
                              scan_video_seconds_per_cpu_second=round(video_s / max(cpu, 1e-9), 1))
    return rows, errors


def report_duration(path: Path) -> float:
    """Seconds of video in a file (container metadata; no decode)."""
    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1e6


def registrations(split: Path) -> list[tuple[str, str, int, list[Path]]]:
    """(work, holder, first episode number, files) batches: one work "benchmark" by default."""
    described = split / "refs.jsonl"
    listed = compare.load_jsonl(described) if described.exists() else []
    if not listed or "work" not in listed[0]:
        return [("benchmark", "default", 1, sorted((split / "refs").glob("*.mp4")))]
    return [(r["work"], r.get("holder", "default"), r["episode"], [split / r["file"]]) for r in listed]


def claims_vs_pairs(rows: list[dict], truth: list[dict], threshold: float) -> list[str]:
    """Claim and pair figures at the threshold, and claims made by shared footage alone."""
    pairs = [{**r, "score": r["pair_score"]} for r in rows]
    lines = ["| figure | claims (scan output) | pairs (before resolution) |", "|---|---|---|"]
    c, p = compare.figures(rows, truth, threshold), compare.figures(pairs, truth, threshold)
    lines += [
        f"| µAP | {c.uap:.4f} | {p.uap:.4f} |",
        f"| precision / recall at {threshold} | {c.precision:.3f} / {c.recall:.3f} | {p.precision:.3f} / {p.recall:.3f} |",
        f"| false (query, episode) at {threshold} | {c.false_positives} | {p.false_positives} |",
        f"| mean segment IoU query / ref | {_r(c.query_iou)} / {_r(c.ref_iou)} | {_r(p.query_iou)} / {_r(p.ref_iou)} |",
    ]
    overlap_only = {t["query"] for t in truth if t["label"] == "overlap_only"}
    if overlap_only:
        made = lambda rs: sum(1 for r in rs if r["query"] in overlap_only and r["score"] >= threshold)  # noqa: E731
        lines.append(f"| claims from shared footage alone ({len(overlap_only)} queries) | {made(rows)} | {made(pairs)} |")
    return lines


def _r(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def decode_seconds(path: Path) -> float:
    """CPU time of the decoder alone: decode every frame, convert nothing."""
    start = time.process_time()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass
    return time.process_time() - start


def speed(split: Path) -> dict:
    files = sorted((split / "refs").glob("*.mp4")) + sorted((split / "queries").glob("*.mp4"))
    video_s = decode_cpu = fp_cpu = 0.0
    refs = set(files[: len(sorted((split / "refs").glob("*.mp4")))])
    for path in files:
        decode_cpu += decode_seconds(path)
        start = time.process_time()
        fp = fingerprint_video(path, reference=path in refs)  # as registration and scanning do
        fp_cpu += time.process_time() - start
        video_s += fp.duration_ms / 1000
    return {
        "files": len(files),
        "video_seconds": round(video_s, 1),
        "decode_cpu_s": round(decode_cpu, 2),
        "fingerprint_cpu_s": round(fp_cpu, 2),
        "fingerprint_over_decode": round(fp_cpu / decode_cpu, 2),
        "video_seconds_per_cpu_second": round(video_s / fp_cpu, 1),
    }


def peer_side_by_side(
    split: Path, out: Path, ours: list[dict], threshold: float, score_py: Path
) -> None:
    """Score vPDQ on the same split and print both systems in one table."""
    from benchmarks import vpdq_baseline

    start = time.monotonic()
    peer = vpdq_baseline.predictions(split)
    elapsed = time.monotonic() - start
    pred = out / "vpdq_predictions.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in peer))
    print(f"== vPDQ (Meta, PyPI vpdq, default thresholds) on {split} ({elapsed:.1f} s wall)")
    subprocess.run([sys.executable, str(score_py), str(pred), str(split / "truth.jsonl")], check=True)
    truth = compare.load_jsonl(split / "truth.jsonl")
    table = compare.markdown_table(
        compare.figures(ours, truth, threshold), compare.figures(peer, truth, None)
    )
    print("== side by side (per-transform recall at each system's threshold):")
    print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--scorer", type=Path, default=REPO.parent / "shared" / "bench" / "score.py",
                        help="the bench's scorer (also for sets built by benchmarks.series_set)")
    parser.add_argument("--threshold", type=float, help="score at this threshold (default: settings)")
    parser.add_argument("--keep", type=Path, help="write predictions here instead of a temp dir")
    parser.add_argument("--no-peer", action="store_true", help="skip the vPDQ comparison")
    parser.add_argument("--backend", default="faiss-flat", choices=["faiss-flat", "faiss-ivf", "milvus"])
    parser.add_argument("--no-speed", action="store_true", help="skip the fingerprinting speed part")
    args = parser.parse_args()
    split = args.bench / args.split
    threshold = Settings().matcher.notify_score if args.threshold is None else args.threshold
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        scan_speed: dict = {}
        rows, errors = predictions(split, out / "home", args.backend, scan_speed)
        elapsed = time.monotonic() - start
        pred = out / "predictions.jsonl"
        pred.write_text("".join(json.dumps(r) + "\n" for r in rows))
        scorer = [sys.executable, str(args.scorer), str(pred), str(split / "truth.jsonl")]
        print(f"== DramaGuard on {split}, index backend {args.backend} (register + scan took {elapsed:.1f} s wall)")
        print(f"scan speed (fingerprint + match, this process): {json.dumps(scan_speed)}")
        for error in errors:
            print(f"error: {error}")
        print("-- best operating point (scorer's choice at precision >= 0.9):")
        subprocess.run(scorer, check=True)
        print(f"-- at the configured notice threshold {threshold}:")
        subprocess.run([*scorer, "--threshold", str(threshold)], check=True)
        (out / "pairs.jsonl").write_text("".join(json.dumps({**r, "score": r["pair_score"]}) + "\n" for r in rows))
        print(f"-- claims (what scan reports) against pairs (every episode the matcher aligned), at {threshold}:")
        print("\n".join(claims_vs_pairs(rows, compare.load_jsonl(split / "truth.jsonl"), threshold)))
        if not args.no_peer:
            peer_side_by_side(split, out, rows, threshold, args.scorer)
    if args.no_speed:
        return
    print("== fingerprinting speed (CPU seconds, same files):")
    figures = speed(split)
    print(json.dumps(figures))
    ours = compare.figures(rows, compare.load_jsonl(split / "truth.jsonl"), threshold)
    checks = compare.targets(ours, figures["fingerprint_over_decode"])
    print(f"== targets (issue 3) on {args.split}: {sum(ok for _, ok in checks)}/{len(checks)} met")
    for text, ok in checks:
        print(f"  {'MET ' if ok else 'MISS'} {text}")


if __name__ == "__main__":
    main()
