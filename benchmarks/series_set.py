"""Build a synthetic series benchmark: episodes that share an intro, an outro and a recap.

The development set has no series, so it cannot show what issue 23 is about: a copy of episode 5
also lines up with episodes 1-4 on their shared credits, with the previous episode on the recap,
and with every episode filmed on the same set on look-alike footage. This script renders such a
library from nothing but numpy and OpenCV (seeded, so a seed is a set) and pirates it with
``benchmarks.edits`` (PyAV), writing the layout of ``../shared/bench`` plus works in refs.jsonl:

    refs/<series>_ep<N>.mp4   vertical 272x480, 25 fps: intro 4 s, a 3-s recap of the previous
                              episode (from episode 2), 4 shots of 3-5 s on the series' 3 sets
                              (a textured background panned by the camera, 1-3 moving "actors"),
                              outro 4 s (scrolling credits); one more work of another rights
                              holder reuses series A's intro ("reaction" episode)
    queries/*.mp4             copies of whole episodes under crop (centre and off-centre,
                              5-25 %, crop + scale, crop + flip), re-encodes, caption bars;
                              excerpts; a two-episode compilation; the intro, the outro or the
                              recap alone (label ``overlap_only``: must claim nothing);
                              unregistered series (distractors); new footage on a registered
                              series' set (hard negatives)
    truth.jsonl, refs.jsonl   as ../shared/bench/README.md describes

    .venv/bin/python -m benchmarks.series_set OUT [--seed 23]
    .venv/bin/python -m benchmarks.accuracy --bench OUT --split series --no-peer
"""
from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks import edits

W, H, FPS = 272, 480, 25


def texture(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A set: smooth colour fields with mid-frequency detail, larger than the frame (pans)."""
    base = cv2.resize(rng.uniform(0, 255, (h // 48 + 2, w // 48 + 2, 3)).astype(np.float32), (w, h),
                      interpolation=cv2.INTER_CUBIC)
    detail = cv2.resize(rng.normal(0, 40, (h // 8, w // 8, 1)).astype(np.float32), (w, h),
                        interpolation=cv2.INTER_LINEAR)[..., None]
    out = np.clip(base + detail, 0, 255).astype(np.uint8)
    for _ in range(12):  # furniture: boxes of flat colour
        x, y = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        cv2.rectangle(out, (x, y), (x + int(rng.integers(20, 90)), y + int(rng.integers(20, 90))),
                      tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    return out


@dataclass(frozen=True)
class Shot:
    """``seconds`` of footage on set ``set_id`` of a series; ``seed`` fixes camera and actors."""

    set_id: int
    seed: int
    seconds: float


def render_shot(sets: list[np.ndarray], shot: Shot) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(shot.seed)
    bg = sets[shot.set_id]
    n = int(round(shot.seconds * FPS))
    (x0, x1), (y0, y1) = rng.integers(0, bg.shape[1] - W, 2), rng.integers(0, bg.shape[0] - H, 2)
    actors = [(rng.uniform(30, W - 30, 2), rng.uniform(-60, 60, 2), int(rng.integers(18, 45)),
               tuple(int(c) for c in rng.integers(0, 255, 3))) for _ in range(int(rng.integers(1, 4)))]
    for i in range(n):
        a = i / max(n - 1, 1)
        x, y = int(x0 + (x1 - x0) * a * 0.3), int(y0 + (y1 - y0) * a * 0.3)
        frame = bg[y : y + H, x : x + W].copy()
        for pos, vel, radius, colour in actors:
            cx, cy = (pos + vel * i / FPS) % (W, H)
            cv2.ellipse(frame, (int(cx), int(cy)), (radius, int(radius * 1.6)), 0, 0, 360, colour, -1)
            cv2.circle(frame, (int(cx), int(cy - radius * 1.9)), int(radius * 0.7), colour, -1)
        yield frame


def title_card(title: str, seed: int, seconds: float) -> Iterator[np.ndarray]:
    """An intro: a gradient, drifting sparks and the title sliding in."""
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(0, 255, 3), rng.integers(0, 255, 3)
    grad = (top[None, None] + (bottom - top)[None, None] * np.linspace(0, 1, H)[:, None, None]).astype(np.uint8)
    grad = np.repeat(grad, W, axis=1)
    sparks = rng.uniform(0, 1, (40, 2)) * (W, H)
    for i in range(int(seconds * FPS)):
        frame = grad.copy()
        for sx, sy in sparks:
            cv2.circle(frame, (int(sx + 3 * i) % W, int(sy - 2 * i) % H), 3, (255, 255, 220), -1)
        x = int(W - min(1.0, i / (FPS * 1.5)) * (W - 20))
        cv2.putText(frame, title, (x, H // 2), cv2.FONT_HERSHEY_DUPLEX, 0.9, (255, 255, 255), 2)
        yield frame


def credits(names: list[str], seed: int, seconds: float) -> Iterator[np.ndarray]:
    """An outro: names scrolling up over a dark still of the series' first set."""
    rng = np.random.default_rng(seed)
    still = (texture(rng, W, H) * 0.35).astype(np.uint8)
    for i in range(int(seconds * FPS)):
        frame = still.copy()
        for k, name in enumerate(names):
            y = H + 30 * k - 4 * i
            if -10 < y < H + 10:
                cv2.putText(frame, name, (20, y), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (230, 230, 230), 1)
        yield frame


@dataclass
class Series:
    name: str
    seed: int
    episodes: int

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.sets = [texture(rng, W * 2, H * 2) for _ in range(3)]
        shots = random.Random(self.seed)
        self.shots = [[Shot(shots.randrange(3), shots.randrange(1 << 30), shots.choice([3.0, 4.0, 5.0]))
                       for _ in range(4)] for _ in range(self.episodes)]
        cast = random.Random(self.seed + 1)
        self.names = [f"{cast.choice('ABCDEFGHJKLMNPRSTW')}. {cast.choice(['Lin', 'Wang', 'Chen', 'Zhao', 'Liu'])}"
                      for _ in range(12)]

    def intro(self) -> Iterator[np.ndarray]:
        return title_card(self.name.upper(), self.seed + 7, 4.0)

    def outro(self) -> Iterator[np.ndarray]:
        return credits(self.names, self.seed + 9, 4.0)

    def recap(self, n: int) -> Iterator[np.ndarray]:
        """The last 3 s of episode ``n`` (1-based), frame for frame."""
        last = self.shots[n - 1][-1]
        frames = list(render_shot(self.sets, last))
        return iter(frames[-3 * FPS:])

    def episode(self, n: int) -> tuple[Iterator[np.ndarray], dict[str, tuple[float, float]]]:
        """Frames of episode ``n`` and where its parts lie (seconds)."""
        parts: list[tuple[str, Iterator[np.ndarray], float]] = [("intro", self.intro(), 4.0)]
        if n > 1:
            parts.append(("recap", self.recap(n - 1), 3.0))
        parts += [(f"shot{k}", render_shot(self.sets, s), s.seconds) for k, s in enumerate(self.shots[n - 1])]
        parts.append(("outro", self.outro(), 4.0))
        where, t = {}, 0.0
        for name, _, seconds in parts:
            where[name] = (round(t, 3), round(t + seconds, 3))
            t += seconds

        def frames() -> Iterator[np.ndarray]:
            for _, part, _ in parts:
                yield from part

        return frames(), where


# query edits: (name, transforms, edit); the crop family first (issue 23, point 3)
EDITS = [
    ("crop10", ["crop"], edits.crop(0.10)),
    ("crop20_off", ["crop", "off_centre"], edits.crop(0.20, dx=0.8, dy=-0.5)),
    ("crop25_scale", ["crop", "scale"], edits.crop(0.25, keep_size=False)),
    ("crop15_flip", ["crop", "hflip"], edits.chain(edits.crop(0.15), edits.hflip)),
    ("crop5_off", ["crop", "off_centre"], edits.crop(0.05, dx=-1.0, dy=1.0)),
    ("caption", ["overlay_text"], edits.text_bar),
    ("crop12_caption", ["crop", "overlay_text"], edits.chain(edits.crop(0.12, dy=0.6), edits.text_bar)),
]

CROPS = [  # centre and off-centre 5-25 %, crop + scale, crop + flip (issue 23, point 3)
    ("crop5", ["crop"], edits.crop(0.05)),
    ("crop15", ["crop"], edits.crop(0.15)),
    ("crop25", ["crop"], edits.crop(0.25)),
    ("crop10_off", ["crop", "off_centre"], edits.crop(0.10, dx=1.0, dy=1.0)),
    ("crop20_off", ["crop", "off_centre"], edits.crop(0.20, dx=-1.0, dy=0.3)),
    ("crop25_off", ["crop", "off_centre"], edits.crop(0.25, dx=0.6, dy=-1.0)),
    ("crop20_scale", ["crop", "scale"], edits.crop(0.20, dx=0.5, keep_size=False)),
    ("crop20_flip", ["crop", "hflip"], edits.chain(edits.crop(0.20, dy=-0.7), edits.hflip)),
]


def build(out: Path, seed: int = 23) -> None:
    refs = out / "refs"
    a, b = Series("dragon bride", seed, 4), Series("ceo returns", seed + 100, 3)
    unregistered = Series("night market", seed + 200, 2)
    ref_lines, truth, parts = [], [], {}
    for series, holder in ((a, "studio-a"), (b, "studio-a")):
        for n in range(1, series.episodes + 1):
            frames, where = series.episode(n)
            name = f"{series.name.replace(' ', '_')}_ep{n}.mp4"
            count = edits.encode(refs / name, frames, fps=FPS, crf=18)
            parts[name] = where
            ref_lines.append({"file": f"refs/{name}", "work": series.name, "holder": holder, "episode": n,
                              "duration": round(count / FPS, 3), "parts": where, "prov": "synthetic (series_set)"})
    # another holder's "reaction" episode opens with series A's intro, then its own footage
    reaction = Series("reaction", seed + 300, 1)
    react = "reaction_ep1.mp4"
    count = edits.encode(refs / react, _chain(a.intro(), *(render_shot(reaction.sets, s) for s in reaction.shots[0])),
                         fps=FPS, crf=18)
    ref_lines.append({"file": f"refs/{react}", "work": "reaction", "holder": "studio-b", "episode": 1,
                      "duration": round(count / FPS, 3), "prov": "synthetic: series A's intro + own shots"})
    durations = {line["file"].split("/")[-1]: line["duration"] for line in ref_lines}
    q = iter(range(1, 1000))

    def query(pieces: list[edits.Piece], edit, label: str, transforms: list[str], refs_of: list[str | None],
              **extra) -> None:
        name = f"queries/s{next(q):04d}.mp4"
        placed = edits.write(out / name, pieces, size=(W, H), fps=FPS, edit=edit, crf=26)
        qdur = placed[-1][1]
        for (q0, q1), piece, ref in zip(placed, pieces, refs_of):
            row = {"query": name, "reference": f"refs/{ref}" if ref else None, "label": label,
                   "query_duration": qdur, "transforms": transforms, "tool": "series_set", **extra}
            if label == "copy":
                r0 = piece.start
                r1 = piece.end if piece.end is not None else durations[ref]
                row["segments"] = [{"query": [q0, q1], "ref": [r0, r1]}]
            truth.append(row)

    episodes = [line["file"].split("/")[-1] for line in ref_lines if line["work"] != "reaction"]
    for i, ep in enumerate(episodes):  # whole episodes, one edit each, cycling
        name, transforms, edit = EDITS[i % len(EDITS)]
        query([edits.Piece(refs / ep)], edit, "copy", transforms, [ep])
    for i, ep in enumerate(episodes[1::2]):  # excerpts of own footage
        s0, s1 = parts[ep]["shot1"][0], parts[ep]["shot3"][1]
        name, transforms, edit = EDITS[(i + 3) % len(EDITS)]
        query([edits.Piece(refs / ep, s0, s1)], edit, "copy", ["time_crop", *transforms], [ep])
    for i, ep in enumerate(episodes):  # the crop sweep: every episode under two more crops
        for k in (1, 2):
            name, transforms, edit = CROPS[(2 * i + k) % len(CROPS)]
            query([edits.Piece(refs / ep)], edit, "copy", transforms, [ep])
    pair = [e for e in episodes if e.startswith("dragon")][1:3]
    query([edits.Piece(refs / e) for e in pair], edits.crop(0.1), "copy", ["crop", "compilation"], pair)
    query([edits.Piece(refs / react)], edits.crop(0.1), "copy", ["crop", "cross_holder_intro"], [react])
    # shared footage alone: must claim nothing
    ep2, ep3 = pair
    for piece, what in ((edits.Piece(refs / ep2, *parts[ep2]["intro"]), "intro"),
                        (edits.Piece(refs / ep3, *parts[ep3]["outro"]), "outro"),
                        (edits.Piece(refs / ep3, *parts[ep3]["recap"]), "recap"),
                        (edits.Piece(refs / episodes[-1], *parts[episodes[-1]]["intro"]), "intro")):
        query([piece], edits.crop(0.1), "overlap_only", ["crop", what], [None], shared=what)
    # unregistered series (its own intro, sets, actors) and new footage on a registered set
    tmp = out / "sources"
    for n in (1, 2):
        frames, _ = unregistered.episode(n)
        edits.encode(tmp / f"unregistered_ep{n}.mp4", frames, fps=FPS)
        query([edits.Piece(tmp / f"unregistered_ep{n}.mp4")], edits.crop(0.1), "distractor", [], [None])
    for k in (0, 1):
        shot = Shot(a.shots[0][k].set_id, seed * 1000 + k, 6.0)
        edits.encode(tmp / f"same_set_{k}.mp4", render_shot(a.sets, shot), fps=FPS)
        related = f"refs/{episodes[0]}"
        truth.append({"query": f"queries/s{next(q):04d}.mp4", "reference": None, "label": "hard_negative",
                      "related_reference": related, "transforms": ["same_set"], "tool": "series_set"})
        edits.write(out / truth[-1]["query"], [edits.Piece(tmp / f"same_set_{k}.mp4")], size=(W, H), fps=FPS)
    (out / "refs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ref_lines))
    (out / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in truth))


def _chain(*parts: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    for part in parts:
        yield from part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write (the split is OUT/series)")
    parser.add_argument("--seed", type=int, default=23, help="another seed, another set built the same way")
    args = parser.parse_args()
    build(args.out / "series", args.seed)
    print(f"built {args.out / 'series'}")


if __name__ == "__main__":
    main()
