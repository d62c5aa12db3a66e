"""Scan speed of one code tree on one split: register, fingerprint every query, match them.

Prints the fingerprinting CPU and the matching CPU (best of ``--repeat``, the same
fingerprints each time) of every query, and video seconds per CPU second of the two together,
as JSON. To compare two commits on a shared machine, run it from a ``git archive`` of each,
interleaved, and compare the lines (``benchmarks/RESULTS.md``, issue 23, third part):

    .venv/bin/python -m benchmarks.scan_speed [--bench ../shared/bench] [--split dev] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.accuracy import REPO, registrations, report_duration
from dramaguard.settings import Settings
from fingerprint import fingerprint_video
from indexing.catalogue import Services


def measure(split: Path, repeat: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as tmp, Services.open(Settings(home=Path(tmp))) as services:
        registered = 0
        for work, holder, start, refs in registrations(split):
            results = services.register_files(refs, work=work, holder=holder, episode_start=start)
            registered += sum(1 for r in results if not r.error)
        queries = sorted((split / "queries").glob("*.mp4"))
        start = time.process_time()
        prints = [fingerprint_video(q, services.fp_params, services.limits) for q in queries]
        fingerprint_cpu = time.process_time() - start
        match_cpu = []
        for _ in range(repeat):
            start = time.process_time()
            for query, fp in zip(queries, prints):
                services.report(query, fp, min_score=0.0)
            match_cpu.append(time.process_time() - start)
    video = sum(report_duration(q) for q in queries)
    best = min(match_cpu)
    return {"split": str(split), "references": registered, "queries": len(queries), "video_s": round(video, 1),
            "fingerprint_cpu_s": round(fingerprint_cpu, 2), "match_cpu_s": round(best, 2),
            "video_s_per_cpu_s": round(video / max(fingerprint_cpu + best, 1e-9), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--repeat", type=int, default=3, help="matching passes; the fastest counts")
    args = parser.parse_args()
    print(json.dumps(measure(args.bench / args.split, args.repeat)))


if __name__ == "__main__":
    main()
