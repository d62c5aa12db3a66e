"""Audio fingerprint figures on the generated audio test set (the video bench has no sound).

Builds the set (``benchmarks.audio_set``: espeak-ng speech and synthesized music, with AAC
re-encodes, noise, resampling speed-ups, short
excerpts, a black-picture copy, muted copies and unregistered distractors), registers the
references, matches every query and prints recall per edit, false positives at the configured
``audio_confirm_score``, the closest negative and the fingerprinting time.

    .venv/bin/python -m benchmarks.audio_accuracy [--keep DIR] [--seed 7]
"""
from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

from benchmarks.audio_set import build
from dramaguard.settings import Settings
from fingerprint.audio import fingerprint_audio, query_views
from matcher.audio import AudioIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the generated media here")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    threshold = Settings().matcher.audio_confirm_score
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        refs, cases = build(folder, args.seed)
        index = AudioIndex()
        start = time.process_time()
        for episode_id, ref in enumerate(refs):
            index.add(episode_id, fingerprint_audio(ref))
        ref_cpu = time.process_time() - start
        per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
        false_pos, worst_negative, query_cpu = [], (0.0, ""), 0.0
        for case in cases:
            start = time.process_time()
            matches = index.match(query_views(case.query))
            query_cpu += time.process_time() - start
            hits = [refs[m.episode_id] for m in matches if m.score >= threshold]
            if case.reference is None:
                false_pos += [(case.query.name, h.name) for h in hits]
                top = max((m.score for m in matches), default=0.0)
                worst_negative = max(worst_negative, (top, case.query.name))
                per[case.transform][0] += not hits
            else:
                wrong = [h for h in hits if h != case.reference]
                false_pos += [(case.query.name, h.name) for h in wrong]
                per[case.transform][0] += case.reference in hits
                top = max((m.score for m in matches if refs[m.episode_id] != case.reference), default=0.0)
                worst_negative = max(worst_negative, (top, f"{case.query.name} vs another ref"))
            per[case.transform][1] += 1
        print(f"== audio set: {len(refs)} references, {len(cases)} queries, threshold {threshold}")
        print("per-edit result (copies: found; muted/distractor: correctly matched nothing):")
        for name, (ok, n) in sorted(per.items()):
            print(f"  {name:22s} {ok:3d}/{n:<3d} {ok / n:.3f}")
        print(f"false positives at threshold: {len(false_pos)} {false_pos}")
        print(f"highest score of a wrong pair: {worst_negative[0]:.3f} ({worst_negative[1]})")
        print(f"CPU: references {ref_cpu:.2f} s, queries (all speed views + lookup) {query_cpu:.2f} s")


if __name__ == "__main__":
    main()
