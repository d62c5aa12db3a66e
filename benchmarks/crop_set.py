"""Build a crop sweep of real footage: every reference of a split under random box crops.

The independent sets' weakest transform is AugLy's crop (issue 23: 18 of 33 found on one): it
keeps any box of the picture — a different aspect ratio, off centre — and the copy is that
box alone. ``benchmarks.series_set`` crops synthetic episodes; this split crops the real clips
of a split already on disk (``../shared/bench/dev`` by default, which is not ours to copy: the
split links its references and writes only the crops), whole clips, boxes drawn per seed:

- ``box``: left/top in [0, 0.3], width/height in [0.55, 0.9] of the frame (AugLy's random crop);
- ``corner``: a quarter cut away against a random corner (side 0.75);
- ``strip``: one side cut by 20-35 % (a crop that changes the aspect ratio most).

    .venv/bin/python -m benchmarks.crop_set OUT [--source ../shared/bench/dev] [--seed 23]
    .venv/bin/python -m benchmarks.accuracy --bench OUT --split crop --no-peer --no-speed
"""
from __future__ import annotations

import random
from pathlib import Path

from benchmarks import edits, sweep


def boxes(rng: random.Random) -> list[tuple[str, tuple[float, float, float, float]]]:
    """One box of each kind: (kind, (left, top, right, bottom))."""
    r = lambda a, b: round(rng.uniform(a, b), 3)  # noqa: E731
    left, top, width, height = r(0, 0.3), r(0, 0.3), r(0.55, 0.9), r(0.55, 0.9)
    box = (left, top, min(1.0, left + width), min(1.0, top + height))
    x, y = rng.choice([0.0, 0.25]), rng.choice([0.0, 0.25])
    corner = (x, y, x + 0.75, y + 0.75)
    cut = r(0.2, 0.35)
    strip = rng.choice([(cut, 0.0, 1.0, 1.0), (0.0, cut, 1.0, 1.0), (0.0, 0.0, 1 - cut, 1.0), (0.0, 0.0, 1.0, 1 - cut)])
    return [("box", box), ("corner", corner), ("strip", strip)]


def build(out: Path, source: Path, seed: int) -> Path:
    split = sweep.linked_split(out, "crop", source)
    rng = random.Random(seed)
    truth, n = [], 0
    for ref in sorted((split / "refs").glob("*.mp4")):
        size = sweep.even_size(ref)
        for kind, box in boxes(rng):
            n += 1
            name = f"queries/c{n:04d}.mp4"
            placed = edits.write(split / name, [edits.Piece(ref)], size=size, edit=edits.box_crop(*box), crf=26)
            end = placed[-1][1]
            truth.append({"query": name, "reference": f"refs/{ref.name}", "label": "copy", "query_duration": end,
                          "transforms": ["crop", kind], "tool": "crop_set", "box": box,
                          "segments": [{"query": [0.0, end], "ref": [0.0, end]}]})
    sweep.write_truth(split, truth)
    return split


def main() -> None:
    sweep.main(__doc__, build, "crop", "a split whose refs/ are cropped", "another seed, other boxes")


if __name__ == "__main__":
    main()
