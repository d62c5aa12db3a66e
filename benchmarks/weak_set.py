"""Build a weak-transform split next to a series set: the same registered episodes, pirated by
the edits the independent sets find hardest (issue 23: crop, picture-in-picture, heavy
re-encodes, overlay text, padding to 16:9).

``benchmarks.series_set`` covers claims over shared footage and the crop sweep; this split holds
the other weak transforms, each on whole episodes, plus unregistered footage under the same edits
(distractors: a pad or a PiP frame must not match by itself). It reuses the series split's
references (``OUT/weak/refs`` links to ``OUT/series/refs``), so build the series set first:

    .venv/bin/python -m benchmarks.series_set OUT --seed 27
    .venv/bin/python -m benchmarks.weak_set OUT --seed 27
    .venv/bin/python -m benchmarks.accuracy --bench OUT --split weak --no-peer --no-speed
"""
from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from benchmarks import edits
from benchmarks.series_set import FPS, H, W, Series, Shot, render_shot


def background(seed: int) -> Iterator[np.ndarray]:
    """Endless moving footage of an unregistered series (what a PiP copy is pasted over)."""
    series = Series("pip background", seed, 1)
    rng = random.Random(seed)
    while True:
        yield from render_shot(series.sets, Shot(rng.randrange(3), rng.randrange(1 << 30), 5.0))


def weak_edits(seed: int) -> list[tuple[str, list[str], edits.Edit, int]]:
    """(name, transforms, edit, crf): every weak transform of the issue's table, two strengths."""
    rng = random.Random(seed)
    words = ["FULL EPISODE", "HD 1080P", "SUBSCRIBE", "watch free", "EP 1-80"]
    r = lambda a, b: round(rng.uniform(a, b), 2)  # noqa: E731
    return [
        ("pip_centre", ["pip"], edits.pip(background(seed + 1), r(0.5, 0.6), r(0.3, 0.7), r(0.3, 0.7)), 26),
        ("pip_corner", ["pip"], edits.pip(background(seed + 2), r(0.6, 0.7), r(0.0, 0.1), r(0.0, 0.1)), 26),
        ("crf44", ["encoding_quality"], None, 44),
        ("small_crf38", ["encoding_quality", "scale"], edits.scale(r(0.35, 0.45)), 38),
        ("pad16x9", ["pad_to_16x9"], edits.pad_to(16 / 9), 26),
        ("pad16x9_colour", ["pad_to_16x9"], edits.pad_to(16 / 9, (rng.randrange(256), 90, 160)), 30),
        ("text_mid", ["overlay_text"], edits.overlay_text(rng.sample(words, 2), at=r(0.3, 0.6)), 26),
        ("text_plate", ["overlay_text"], edits.overlay_text(rng.sample(words, 3), at=r(0.15, 0.25), size=0.8,
                                                             colour=(255, 230, 0), box=True), 26),
        ("crop_box", ["crop", "off_centre"], edits.box_crop(r(0.0, 0.1), r(0.1, 0.25), r(0.8, 0.95), r(0.75, 0.9)), 26),
        ("crop_small", ["crop", "off_centre", "scale"],
         edits.chain(edits.crop(r(0.15, 0.25), dx=r(-1, 1), dy=r(-1, 1)), edits.scale(0.6)), 30),
        ("crop_pad", ["crop", "pad_to_16x9"], edits.chain(edits.crop(0.15), edits.pad_to(16 / 9)), 26),
        ("crop_crf40", ["crop", "encoding_quality"], edits.crop(r(0.1, 0.2), dx=r(-1, 1)), 40),
    ]


def build(out: Path, seed: int) -> None:
    series, weak = out / "series", out / "weak"
    (weak / "queries").mkdir(parents=True, exist_ok=True)
    if not (weak / "refs").exists():
        os.symlink(os.path.relpath(series / "refs", weak), weak / "refs")
    lines = (series / "refs.jsonl").read_text()
    (weak / "refs.jsonl").write_text(lines)
    durations = {r["file"]: r["duration"] for r in map(json.loads, lines.splitlines()) if r["work"] != "reaction"}
    table, truth, number = weak_edits(seed), [], 0
    for i, (ref, seconds) in enumerate(durations.items()):
        for k in range(3):
            name, transforms, edit, crf = table[(3 * i + k) % len(table)]
            number += 1
            query = f"queries/w{number:04d}.mp4"
            placed = edits.write(weak / query, [edits.Piece(series / ref)], size=(W, H), fps=FPS, edit=edit, crf=crf)
            truth.append({"query": query, "reference": ref, "label": "copy", "query_duration": placed[-1][1],
                          "transforms": transforms, "tool": "weak_set", "edit": name,
                          "segments": [{"query": list(placed[0]), "ref": [0.0, seconds]}]})
    for k, path in enumerate(sorted((series / "sources").glob("unregistered_ep*.mp4"))):
        for name, transforms, edit, crf in (table[0], table[4]):  # PiP and pad frames alone match nothing
            number += 1
            query = f"queries/w{number:04d}.mp4"
            edits.write(weak / query, [edits.Piece(path)], size=(W, H), fps=FPS, edit=edit, crf=crf)
            truth.append({"query": query, "reference": None, "label": "distractor", "transforms": transforms,
                          "tool": "weak_set", "edit": name})
    (weak / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in truth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a folder benchmarks.series_set built (OUT/series)")
    parser.add_argument("--seed", type=int, default=23, help="edit strengths and positions")
    args = parser.parse_args()
    build(args.out, args.seed)
    print(f"built {args.out / 'weak'}")


if __name__ == "__main__":
    main()
