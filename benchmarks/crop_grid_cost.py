"""What the crop grid costs a scan: building its index from grids stored at registration, from
the keyframes (no stored grid: how every build worked before they were stored), and after
one more registration (only the new episode is read).

    .venv/bin/python -m benchmarks.crop_grid_cost [--bench ../shared/bench] [--split dev]

Prints JSON: seconds of CPU for each build, the episodes and grid rows indexed.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.accuracy import REPO, registrations
from dramaguard.settings import Settings
from indexing.catalogue import Services
from matcher.crop_candidates import GRID_VERSION
from storage import references


def _build(services: Services) -> float:
    """CPU seconds of one index build (what the first scan that needs the grid waits for)."""
    services._crop_grids = services._crop_index = None
    start = time.process_time()
    services.crop_index()
    return round(time.process_time() - start, 3)


def measure(split: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        groups = registrations(split)
        with Services.open(settings) as services:
            for work, holder, start, refs in groups[:-1] or groups:
                services.register_files(refs, work=work, holder=holder, episode_start=start)
        with Services.open(settings) as services:  # a restart: nothing in memory
            stored = _build(services)
            for episode_id in services._catalogue:
                (references.root(settings.home) / str(episode_id) / f"{GRID_VERSION}.npz").unlink(missing_ok=True)
            described = _build(services)
            episodes, rows = len(services._catalogue), len(services._crop_index[1])
            grown = None
            if len(groups) > 1:
                work, holder, start, refs = groups[-1]
                services.register_files(refs, work=work, holder=holder, episode_start=start)
                begin = time.process_time()
                services.crop_index()
                grown = round(time.process_time() - begin, 3)
    return {"split": str(split), "episodes": episodes, "grid_rows": rows, "build_from_stored_cpu_s": stored,
            "build_from_keyframes_cpu_s": described, "rebuild_after_one_more_work_cpu_s": grown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    print(json.dumps(measure(args.bench / args.split)))


if __name__ == "__main__":
    main()
