"""The crash campaign's traffic through the web API (a mixin of ``Campaign``): waiting for the
server, approving review cases (whose background dispatch races the daemon's), and registering
episodes by upload, re-uploading after a crash."""
from __future__ import annotations

import asyncio
import time

import aiohttp

from monitor import samples



class ApiTraffic:
    """Reads the campaign's ``http`` session, ``api_url``, ``home``, ``ops``, ``summary``,
    ``next_episode`` and ``api_work_id``."""

    async def _api_ready(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                async with self.http.get(f"{self.api_url}/api/v1/works") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError(f"the API did not come up; see {self.home / 'api.log'}")

    # -- API clients running beside the daemon ------------------------------------------------
    async def _approver(self) -> None:
        """A reviewer approving every case in the review queue, through the API."""
        while True:
            try:
                async with self.http.get(f"{self.api_url}/api/v1/review/queue") as response:
                    queue = await response.json() if response.status == 200 else []
                for case in queue:
                    self.ops["approve"] += 1
                    try:
                        async with self.http.post(f"{self.api_url}/api/v1/cases/{case['id']}/approve",
                                                  json={"note": "crash campaign"}) as response:
                            if response.status == 200:
                                self.summary.approvals += 1
                    finally:
                        self.ops["approve"] -= 1
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.3)

    async def _register_via_api(self, delay: float) -> None:
        """Upload the round's new episode; after a crash, upload again until it is registered."""
        await asyncio.sleep(delay)
        number = self.next_episode
        self.next_episode += 1
        path = self.home.parent / "campaign-media" / f"api_{number:03d}.mp4"
        if not path.exists():
            await asyncio.to_thread(samples.make_episode, path, seed=5000 + number, seconds=3)
        data = path.read_bytes()
        while True:
            job = None
            self.ops["upload"] += 1
            try:
                async with self.http.post(
                        f"{self.api_url}/api/v1/works/{self.api_work_id}/episodes",
                        params={"number": number, "filename": path.name}, data=data) as response:
                    if response.status == 409:  # registered before the crash answered
                        break
                    if response.status == 202:
                        job = (await response.json())["id"]
            except aiohttp.ClientConnectorError:  # the API is down: try again shortly
                pass
            except (aiohttp.ClientError, TimeoutError):
                self.summary.re_uploads += 1  # the crash cut the upload off
            finally:
                self.ops["upload"] -= 1
            if job is not None:
                if await self._until_registered(job):
                    break
                self.summary.re_uploads += 1  # the crash failed the accepted upload
            await asyncio.sleep(0.3)
        self.summary.registrations += 1

    async def _until_registered(self, job: str) -> bool:
        while True:
            try:
                async with self.http.get(f"{self.api_url}/api/v1/uploads/{job}") as response:
                    if response.status == 200:
                        state = (await response.json())["state"]
                        if state in ("registered", "failed"):
                            return state == "registered"
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)

    # -- one round ------------------------------------------------------------------------------
