"""Build a weak-transform sweep of real footage: every reference of a split under the edits the
independent sets find hardest, on real clips instead of rendered episodes.

``benchmarks.weak_set`` applies these edits to synthetic series episodes and
``benchmarks.crop_set`` applies crops to real clips; this split applies the rest of the issue's
table (picture-in-picture over other real footage, heavy re-encodes, small copies, padding to
16:9, burned-in text, blur, a watermark, AugLy's blurred border, crop + flip, and chains of
two or three of them) to the real clips of a split on disk (``../shared/bench/dev`` by
default, linked, not copied), four edits per reference, drawn per seed. The split's distractors (unregistered real clips) are the PiP
backgrounds and, under the PiP, pad and border edits, the negatives: a frame around a copy
must not match by itself.

    .venv/bin/python -m benchmarks.real_weak_set OUT [--source ../shared/bench/dev] [--seed 23]
    .venv/bin/python -m benchmarks.accuracy --bench OUT --split real_weak --no-peer --no-speed
"""
from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from benchmarks import edits, sweep

FPS = 25


def looped(path: Path, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """The frames of a real clip at ``size``, over and over (what a PiP copy is pasted over)."""
    clip = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in edits.frames(edits.Piece(path), FPS)]
    return itertools.cycle(clip)


def blur(sigma: float) -> edits.Edit:
    """A Gaussian blur of ``sigma`` pixels at 480 px (scaled with the frame)."""
    def apply(image: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(image, (0, 0), sigma * max(image.shape[:2]) / 480)
    return apply


def watermark(text: str, corner: tuple[float, float], alpha: float) -> edits.Edit:
    """A half-transparent logo plate with ``text`` near ``corner`` (shares of the frame)."""
    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        plate = image.copy()
        x0, y0 = int(corner[0] * w * 0.7), int(corner[1] * h * 0.8)
        x1, y1 = x0 + int(w * 0.3), y0 + int(h * 0.12)
        cv2.rectangle(plate, (x0, y0), (x1, y1), (255, 255, 255), -1)
        cv2.putText(plate, text, (x0 + 4, y1 - int(h * 0.03)), cv2.FONT_HERSHEY_SIMPLEX, w / 900, (200, 0, 0),
                    max(1, w // 300))
        return cv2.addWeighted(plate, alpha, image, 1 - alpha, 0)
    return apply


def blurred_border(share: float) -> edits.Edit:
    """AugLy's blurred border: the picture shrunk to ``share`` over a blurred, enlarged copy."""
    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        out = cv2.GaussianBlur(image, (0, 0), max(h, w) / 40)
        small = cv2.resize(image, (int(w * share), int(h * share)), interpolation=cv2.INTER_AREA)
        y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
        out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
        return out
    return apply


def _by_height(size: tuple[int, int], share: float) -> float:
    """``edits.overlay_text``'s size (in units of the width) for text as tall, in shares of the
    picture's height, as on a vertical episode of ``weak_set`` (AugLy sizes text by the height
    too): sized by the width, three lines on a wide 480x204 clip cover the whole picture."""
    w, h = size
    return share * min(w, h * 9 / 16) / w


EditFactory = Callable[[tuple[int, int]], "edits.Edit | None"]  # the frame size → the edit


def real_edits(rng: random.Random, backgrounds: Iterator[Path]) -> list[tuple[str, list[str], EditFactory, int]]:
    """(name, transforms, edit of the frame size, crf): the table; strengths are drawn when an
    edit is made, so each copy gets its own."""
    words = ["FULL EPISODE", "HD 1080P", "SUBSCRIBE", "watch free", "EP 1-80"]
    r = lambda a, b: round(rng.uniform(a, b), 2)  # noqa: E731
    return [
        ("pip_centre", ["pip"], lambda size: edits.pip(looped(next(backgrounds), size), r(0.5, 0.65), r(0.3, 0.7),
                                                        r(0.3, 0.7)), 26),
        ("pip_corner", ["pip"], lambda size: edits.pip(looped(next(backgrounds), size), r(0.6, 0.75), r(0.0, 0.1),
                                                        r(0.0, 0.1)), 26),
        ("crf44", ["encoding_quality"], lambda size: None, 44),
        ("small_crf38", ["encoding_quality", "scale"], lambda size: edits.scale(r(0.35, 0.45)), 38),
        ("pad16x9", ["pad_to_16x9"], lambda size: edits.pad_to(16 / 9, (rng.randrange(256), 90, 160)), 28),
        ("text_mid", ["overlay_text"], lambda size: edits.overlay_text(rng.sample(words, 2), at=r(0.3, 0.6),
                                                                        size=_by_height(size, 1.0)), 26),
        ("text_plate", ["overlay_text"], lambda size: edits.overlay_text(
            rng.sample(words, 3), at=r(0.15, 0.25), size=_by_height(size, 0.8), colour=(255, 230, 0), box=True), 26),
        ("blur", ["blur"], lambda size: blur(r(2.0, 4.0)), 26),
        ("watermark", ["watermark"], lambda size: watermark("DRAMA.TV", (r(0, 1), r(0, 1)), r(0.4, 0.6)), 26),
        ("blurred_border", ["blurred_border"], lambda size: blurred_border(r(0.6, 0.8)), 26),
        ("crop_flip", ["crop", "hflip"], lambda size: edits.chain(
            edits.box_crop(r(0.0, 0.15), r(0.0, 0.15), r(0.8, 1.0), r(0.8, 1.0)), edits.hflip), 26),
        ("crop_crf40", ["crop", "encoding_quality"], lambda size: edits.crop(r(0.1, 0.2), dx=r(-1, 1)), 40),
        # chains, as AugLy's sets mostly are
        ("crop_text", ["crop", "overlay_text"], lambda size: edits.chain(
            edits.box_crop(r(0.0, 0.15), r(0.0, 0.15), r(0.8, 1.0), r(0.8, 1.0)),
            edits.overlay_text(rng.sample(words, 2), at=r(0.3, 0.7), size=_by_height(size, 1.0))), 28),
        ("pip_crf40", ["pip", "encoding_quality"], lambda size: edits.pip(
            looped(next(backgrounds), size), r(0.6, 0.75), r(0.0, 1.0), r(0.0, 1.0)), 40),
        ("border_text", ["blurred_border", "overlay_text"], lambda size: edits.chain(
            blurred_border(r(0.6, 0.8)), edits.overlay_text(rng.sample(words, 1), at=r(0.1, 0.9),
                                                            size=_by_height(size, 1.0))), 26),
        ("pad_blur", ["pad_to_16x9", "blur"], lambda size: edits.chain(blur(r(1.5, 3.0)), edits.pad_to(16 / 9)), 26),
        ("flip_watermark_crf", ["hflip", "watermark", "encoding_quality"], lambda size: edits.chain(
            edits.hflip, watermark("DRAMA.TV", (r(0, 1), r(0, 1)), r(0.4, 0.6))), 36),
    ]


def build(out: Path, source: Path, seed: int) -> Path:
    split = sweep.linked_split(out, "real_weak", source)
    truth_lines = [json.loads(line) for line in (source / "truth.jsonl").read_text().splitlines() if line.strip()]
    distractors = [source / t["query"] for t in truth_lines if t["label"] == "distractor"]
    rng = random.Random(seed)
    backgrounds = itertools.cycle(rng.sample(distractors, len(distractors)))
    table = real_edits(rng, backgrounds)
    order = rng.sample(range(len(table)), len(table))
    truth, n = [], 0

    def write(path: Path, entry: tuple[str, list[str], EditFactory, int]) -> tuple[list[str], float, str]:
        name, transforms, factory, crf = entry
        size = sweep.even_size(path)
        placed = edits.write(split / f"queries/r{n:04d}.mp4", [edits.Piece(path)], size=size, fps=FPS,
                             edit=factory(size), crf=crf)
        return transforms, placed[-1][1], name

    for i, ref in enumerate(sorted((split / "refs").glob("*.mp4"))):
        for k in range(4):
            n += 1
            transforms, end, name = write(ref, table[order[(4 * i + k) % len(table)]])
            truth.append({"query": f"queries/r{n:04d}.mp4", "reference": f"refs/{ref.name}", "label": "copy",
                          "query_duration": end, "transforms": transforms, "tool": "real_weak_set", "edit": name,
                          "segments": [{"query": [0.0, end], "ref": [0.0, end]}]})
    frames_around = [e for e in table if e[0] in ("pip_corner", "pad16x9", "blurred_border")]
    for path in distractors:
        for entry in frames_around:
            n += 1
            transforms, _, name = write(path, entry)
            truth.append({"query": f"queries/r{n:04d}.mp4", "reference": None, "label": "distractor",
                          "transforms": transforms, "tool": "real_weak_set", "edit": name})
    sweep.write_truth(split, truth)
    return split


def main() -> None:
    sweep.main(__doc__, build, "real_weak", "a split whose refs/ are edited and whose distractors are backgrounds",
               "another seed, other edits and strengths")


if __name__ == "__main__":
    main()
