"""A daemon killed with SIGKILL — only its own pid, not its process group — takes its spawned
fingerprint workers with it (indexing.procs.die_with_parent), instead of leaving them running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.procstat import alive, children

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


def _until(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_sigkilled_daemon_leaves_no_fingerprint_workers(tmp_path):
    env = {**os.environ, "DRAMAGUARD_DAEMON__WORKERS": "2", "DRAMAGUARD_DAEMON__PLATFORMS": "[]",
           "DRAMAGUARD_DAEMON__HEALTH_PORT": "0"}
    with open(tmp_path / "daemon.log", "wb") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "dramaguard", "--home", str(tmp_path / "home"), "daemon"],
            env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        # two spawned workers (plus multiprocessing's resource tracker)
        assert _until(lambda: len(children(daemon.pid)) >= 3, 60), (
            (tmp_path / "daemon.log").read_text()[-2000:])
        workers = children(daemon.pid)
        os.kill(daemon.pid, signal.SIGKILL)  # the daemon alone, as the OOM killer would
        daemon.wait()
        assert _until(lambda: not any(alive(p) for p in workers), 10), [
            p for p in workers if alive(p)]
    finally:
        try:
            os.killpg(daemon.pid, signal.SIGKILL)  # whatever is left, if the test failed
        except ProcessLookupError:
            pass
