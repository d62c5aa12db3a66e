"""The API load benchmark's server side: start ``dramaguard serve`` on a free port, wait for it
to answer, sample its memory; and the percentile the table prints."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from benchmarks import procstat


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(home: Path, port: int, database_url: str | None, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if database_url:
        env["DRAMAGUARD_DATABASE_URL"] = database_url
    return subprocess.Popen(
        [sys.executable, "-m", "dramaguard", "--home", str(home), "serve", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )


async def wait_up(base: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(base + "/static/app.css") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dramaguard serve did not come up (see its log)")
            await asyncio.sleep(0.2)


async def sample_rss(pid: int, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], procstat.read(pid).rss_bytes)
        except (FileNotFoundError, ProcessLookupError):
            return
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except TimeoutError:
            pass


# -- reporting -------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
