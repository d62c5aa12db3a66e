"""`dramaguard demo`: the README's main job on the embedded defaults (SQLite + local FAISS).

Generates a small drama and pirate-style copies, registers the drama, scans every upload and
prints what was found, with the verdict each should get. Generated media is kept in the home
(``demo-media/``) so a second run is fast; the home stays browsable afterwards.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dramaguard import samples
from dramaguard.services import Services
from dramaguard.settings import Settings

TITLE = "霸道总裁的契约新娘"


@dataclass(frozen=True)
class Upload:
    name: str
    description: str
    expected_episodes: tuple[int, ...]  # empty: innocent


def _uploads(episodes: int) -> list[Upload]:
    uploads = [
        Upload("copy_flip_crop.mp4", "mirrored + 10 % crop", (1,)),
        Upload("copy_pad_speed.mp4", "padded to 16:9 + 1.25× speed", (min(2, episodes),)),
        Upload("compilation.mp4", "'全集' compilation of all episodes", tuple(range(1, episodes + 1))),
        Upload("innocent_1.mp4", "unrelated drama", ()),
        Upload("innocent_2.mp4", "unrelated drama", ()),
    ]
    return uploads


def generate(media: Path, episodes: int, console: Console) -> tuple[list[Path], list[tuple[Upload, Path]]]:
    """Make the episodes and the uploads (skipping files that already exist)."""
    media.mkdir(parents=True, exist_ok=True)
    eps = []
    for n in range(1, episodes + 1):
        path = media / f"episode_{n:02d}.mp4"
        if not path.exists():
            samples.make_episode(path, seed=n, seconds=10)
        eps.append(path)
    makers = {
        "copy_flip_crop.mp4": lambda p: samples.pirate_copy(eps[0], p, transforms=(samples.hflip, samples.crop(0.10))),
        "copy_pad_speed.mp4": lambda p: samples.pirate_copy(
            eps[min(2, episodes) - 1], p, transforms=(samples.pad_16x9,), speed=1.25
        ),
        "compilation.mp4": lambda p: samples.compilation(eps, p),
        "innocent_1.mp4": lambda p: samples.make_episode(p, seed=1001, seconds=8),
        "innocent_2.mp4": lambda p: samples.make_episode(p, seed=1002, seconds=8),
    }
    uploads = []
    for upload in _uploads(episodes):
        path = media / "uploads" / upload.name
        if not path.exists():
            console.print(f"generating {upload.name} ({upload.description})")
            makers[upload.name](path)
        uploads.append((upload, path))
    return eps, uploads


def run_demo(settings: Settings, *, episodes: int, console: Console) -> None:
    started = time.monotonic()
    console.print(f"[bold]DramaGuard demo[/bold] — data home {settings.home}")
    eps, uploads = generate(settings.home / "demo-media", episodes, console)
    with Services.open(settings) as services:
        results = services.register_files(eps, work=TITLE, holder="示例影视有限公司")
        for r in results:
            console.print(f"registered episode {r.episode}: {Path(r.path).name}" + (f" [red]{r.error}[/red]" if r.error else ""))
        table = Table("upload", "edit", "found", "expected", "verdict")
        correct = 0
        for upload, path in uploads:
            report = services.scan_file(path, min_score=settings.matcher.notify_score)
            found = tuple(sorted(m.episode for m in report.matches))
            detail = ", ".join(
                f"ep{m.episode} {m.score:.2f} q{m.query_start:.0f}-{m.query_end:.0f}s/r{m.ref_start:.0f}-{m.ref_end:.0f}s"
                for m in sorted(report.matches, key=lambda m: m.episode)
            ) or (report.error or "no match")
            ok = found == tuple(sorted(upload.expected_episodes))
            correct += ok
            expected = ", ".join(f"ep{e}" for e in upload.expected_episodes) or "innocent"
            table.add_row(upload.name, upload.description, detail, expected, "[green]ok[/green]" if ok else "[red]wrong[/red]")
        console.print(table)
    console.print(
        f"{correct}/{len(uploads)} uploads judged correctly in {time.monotonic() - started:.1f} s; "
        f"inspect with: dramaguard --home {settings.home} works list"
    )
