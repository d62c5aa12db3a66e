"""Registration is atomic per episode: after kill -9 mid-batch, the database and the index agree."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
from sqlalchemy import select

from indexing.catalogue import Services
from dramaguard.settings import Settings
from storage.db import transaction
from storage.models import Episode


def _episode_count(settings: Settings) -> int:
    import sqlite3

    db = settings.home / "dramaguard.db"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as connection:
            return connection.execute("select count(*) from episodes").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_kill_during_a_batch_leaves_store_and_index_in_agreement(tmp_path, sample_media):
    settings = Settings(home=tmp_path / "home")
    files = [sample_media[k] for k in ("ep1", "ep2", "flip", "pad_speed", "innocent", "compilation")]
    env = {**os.environ, "DRAMAGUARD_HOME": str(settings.home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "dramaguard", "register", "--work", "W", "--holder", "H", *map(str, files)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _episode_count(settings) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    registered = _episode_count(settings)
    assert 2 <= registered, "the batch should have been killed after committing some episodes"

    with Services.open(settings) as services:
        with transaction(services.sessions) as session:
            in_db = set(session.scalars(select(Episode.id)))
        assert services.index.episode_ids() == in_db
        assert not services.index.is_stale(in_db)
        # every committed episode is searchable: its own file finds it
        report = services.scan_file(sample_media["ep1"])
        assert report.matches and report.matches[0].reference == "ep1.mp4"


def test_orphan_index_entries_are_removed_on_open(tmp_path, sample_media):
    settings = Settings(home=tmp_path / "home")
    with Services.open(settings) as services:
        services.register_files([sample_media["ep1"]], work="W")
        # simulate a crash between the index write and the database commit
        services.index.add(999, np.array([0, 250, 500]), np.eye(3, services.index.dim, dtype=np.float32))
        services.index.save()
    with Services.open(settings) as services:
        assert 999 not in services.index.episode_ids()
        assert len(services.index.episode_ids()) == 1
