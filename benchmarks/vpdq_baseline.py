"""Meta's vPDQ as the open peer on a bench split: its own hashing, default thresholds, its score.

vPDQ hashes one frame per second with PDQ and calls two frames matching when their Hamming
distance is below 31 (both of quality ≥ 50): the defaults of vPDQ's ``matchTwoHashBrute`` and its
regression test. A pair's score is the larger of its two match percentages (share of query frames
found in the reference, share of reference frames found in the query), divided by 100; a pair
with no matching frame at all is one vPDQ did not find, so it is not listed (as a search system
lists only its hits). vPDQ gives no time alignment, so no segments are predicted. Needs the ``bench`` extra (``pip install vpdq``,
which builds against the FFmpeg development headers).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

DISTANCE_TOLERANCE = 31
QUALITY_TOLERANCE = 50
SECONDS_PER_HASH = 1.0


def hash_bits(path: Path) -> np.ndarray:
    """PDQ hashes (bits, shape (n, 256), bool) of the frames vPDQ keeps as good enough to match."""
    import vpdq

    features = vpdq.computeHash(str(path), seconds_per_hash=SECONDS_PER_HASH)
    good = [f.hex for f in features if f.quality >= QUALITY_TOLERANCE]
    if not good:
        return np.zeros((0, 256), bool)
    raw = np.frombuffer(bytes.fromhex("".join(good)), np.uint8).reshape(len(good), 32)
    return np.unpackbits(raw, axis=1).astype(bool)


def match_percentages(query: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """vPDQ's brute-force match: percentage of query frames with a close target frame, and back."""
    if len(query) == 0 or len(target) == 0:
        return 0.0, 0.0
    distance = (query[:, None, :] != target[None, :, :]).sum(axis=2)
    close = distance < DISTANCE_TOLERANCE
    return 100.0 * close.any(axis=1).mean(), 100.0 * close.any(axis=0).mean()


def predictions(split_dir: Path) -> list[dict]:
    """One prediction per (query, reference) pair of the split, in the scorer's JSONL format."""
    split_dir = Path(split_dir)
    refs = {
        p.relative_to(split_dir).as_posix(): hash_bits(p)
        for p in sorted((split_dir / "refs").glob("*.mp4"))
    }
    rows = []
    for path in sorted((split_dir / "queries").glob("*.mp4")):
        query = hash_bits(path)
        name = path.relative_to(split_dir).as_posix()
        for ref_name, ref in refs.items():
            q_pct, t_pct = match_percentages(query, ref)
            score = max(q_pct, t_pct) / 100.0
            if score > 0:
                rows.append({"query": name, "reference": ref_name, "score": score})
    return rows


if __name__ == "__main__":
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split", type=Path, help="bench split folder, e.g. ../shared/bench/dev")
    args = parser.parse_args()
    for row in predictions(args.split):
        sys.stdout.write(json.dumps(row) + "\n")
