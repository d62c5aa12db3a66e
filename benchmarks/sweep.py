"""What the sweeps of real clips share (``benchmarks.crop_set``, ``benchmarks.real_weak_set``):
a split whose ``refs/`` links another split's references (not ours to copy), the clips' even
frame size, the truth file, and the command line."""
from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path

import av

REPO = Path(__file__).resolve().parent.parent
DEV = REPO.parent / "shared" / "bench" / "dev"


def linked_split(out: Path, name: str, source: Path) -> Path:
    """``out/name`` with an empty ``queries/`` and ``refs/`` linked to ``source``'s."""
    split = out / name
    (split / "queries").mkdir(parents=True, exist_ok=True)
    if not (split / "refs").exists():
        os.symlink((source / "refs").resolve(), split / "refs")
    return split


def even_size(path: Path) -> tuple[int, int]:
    """A clip's (width, height), cut to even numbers (H.264 wants them)."""
    with av.open(str(path)) as container:
        context = container.streams.video[0].codec_context
        return context.width - context.width % 2, context.height - context.height % 2


def write_truth(split: Path, truth: list[dict]) -> None:
    (split / "truth.jsonl").write_text("".join(json.dumps(t) + "\n" for t in truth))


def main(doc: str, build: Callable[[Path, Path, int], Path], name: str, source_help: str, seed_help: str) -> None:
    """The sweep's command line: ``OUT [--source SPLIT] [--seed N]``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("out", type=Path, help=f"folder to write (the split is OUT/{name})")
    parser.add_argument("--source", type=Path, default=DEV, help=source_help)
    parser.add_argument("--seed", type=int, default=23, help=seed_help)
    args = parser.parse_args()
    print("built", build(args.out, args.source, args.seed))
