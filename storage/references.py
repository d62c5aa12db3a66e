"""Small reference keyframes kept per episode, because the reference video is not kept.

Evidence packages show a copy's frame next to the original's; the original file is gone after
registration, so one small colour frame per second (longest side 240 px, PNG; grey for episodes
registered before colour was kept) is stored in
``<home>/references/<episode_id>/<ms>.png``. The folder is written under a temporary name and
renamed, so it is either complete or absent. Arrays derived from the keyframes (the crop grid's
descriptors) are kept beside them as ``<name>.npz``, written whole or not at all; they go with
the folder when the keyframes are replaced or removed.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

INTERVAL_MS = 1000
MAX_SIDE = 240


FOLDER = "references"


def root(home: Path) -> Path:
    """The folder holding one keyframe folder per episode (named by its id)."""
    return Path(home) / FOLDER


def _dir(home: Path, episode_id: int) -> Path:
    return root(home) / str(episode_id)


def save_keyframes(home: Path, episode_id: int, frames: Iterable[tuple[int, np.ndarray]]) -> int:
    """Store (time ms, uint8 RGB or grey image) frames for an episode; replaces any earlier set."""
    target = _dir(home, episode_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{episode_id}-", dir=target.parent))
    count = 0
    try:
        for time_ms, picture in frames:
            Image.fromarray(np.asarray(picture, dtype=np.uint8)).save(staging / f"{time_ms:09d}.png")
            count += 1
        remove_keyframes(home, episode_id)
        staging.replace(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def nearest_keyframe(home: Path, episode_id: int, time_ms: int) -> tuple[int, Image.Image] | None:
    """The stored frame closest to ``time_ms``, or None when the episode has none."""
    folder = _dir(home, episode_id)
    if not folder.is_dir():
        return None
    times = [int(p.stem) for p in folder.glob("*.png") if p.stem.isdigit()]
    if not times:
        return None
    best = min(times, key=lambda t: abs(t - time_ms))
    with Image.open(folder / f"{best:09d}.png") as image:
        return best, image.convert("RGB")


@lru_cache(maxsize=64)
def load_keyframes(home: Path, episode_id: int, max_side: int = 120) -> tuple[tuple[int, np.ndarray], ...]:
    """Every stored frame of an episode as (time ms, grey uint8 picture of at most ``max_side``),
    in time order; empty when the episode has none. What a crop fit compares a copy with
    (``matcher.crop_fit``), a few times per scan: cached (an episode's id is never reused, and
    its frames are written once, at registration)."""
    folder = _dir(home, episode_id)
    if not folder.is_dir():
        return ()
    out = []
    for path in sorted(p for p in folder.glob("*.png") if p.stem.isdigit()):
        with Image.open(path) as image:
            out.append((int(path.stem), small_grey(image, max_side)))
    return tuple(out)


def small_grey(picture: Image.Image | np.ndarray, max_side: int = 120) -> np.ndarray:
    """A keyframe as :func:`load_keyframes` gives it (PNG is lossless, so a frame about to be
    stored gives the same pixels as the stored one read back)."""
    image = Image.fromarray(np.asarray(picture, dtype=np.uint8)) if isinstance(picture, np.ndarray) else picture
    image = image.convert("L")
    image.thumbnail((max_side, max_side), Image.Resampling.BOX)
    return np.asarray(image)


def save_derived(home: Path, episode_id: int, name: str, **arrays: np.ndarray) -> None:
    """Store arrays computed from an episode's keyframes (``name``: what and which version);
    a no-op for an episode without keyframes (nothing to derive them from)."""
    folder = _dir(home, episode_id)
    if not folder.is_dir():
        return
    handle, staging = tempfile.mkstemp(prefix=f".{name}-", suffix=".npz", dir=folder)
    try:
        with open(handle, "wb") as out:
            np.savez(out, **arrays)
        Path(staging).replace(folder / f"{name}.npz")
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def load_derived(home: Path, episode_id: int, name: str) -> dict[str, np.ndarray] | None:
    """The arrays :func:`save_derived` stored, or ``None`` when absent or unreadable (a cache:
    the caller derives them again)."""
    path = _dir(home, episode_id) / f"{name}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, EOFError):  # absent, truncated or not an npz at all
        return None


def remove_keyframes(home: Path, episode_id: int) -> None:
    shutil.rmtree(_dir(home, episode_id), ignore_errors=True)
