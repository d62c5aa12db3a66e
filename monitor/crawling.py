"""Wiring of the crawler: settings → platform, works → search terms, and the polling loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from crawler.base import Platform, PlatformConfig
from crawler.http import HttpPolicy
from crawler.netguard import AddressGuard, guarded_session
from crawler.registry import platform_class
from crawler.runner import Crawler, Outcome, Scanner, Sources
from crawler.sampling import SamplingPolicy
from crawler.state import CrawlState
from crawler.terms import SearchProfile, search_terms
from monitor.config import CrawlerSettings

log = logging.getLogger(__name__)


def platform_config(
    settings: CrawlerSettings, name: str, overrides: Mapping[str, Any] | None = None
) -> PlatformConfig:
    return PlatformConfig(
        http=HttpPolicy(
            concurrency=settings.concurrency,
            rate_per_s=settings.rate_per_s,
            retries=settings.retries,
            backoff_s=settings.backoff_s,
            timeout_s=settings.request_timeout_s,
            user_agent=settings.user_agent,
        ),
        sampling=SamplingPolicy(
            sample_seconds=settings.sample_seconds,
            windows=settings.sample_windows,
            window_seconds=settings.window_seconds,
            size_cap=settings.size_cap_bytes,
        ),
        allow_private_addresses=settings.allow_private_addresses,
        trusted_hosts=tuple(settings.trusted_hosts),
        allowed_networks=tuple(str(n) for n in settings.allowed_networks),
        max_pages=settings.max_pages,
        options={**settings.platforms.get(name, {}), **(overrides or {})},
    )


def crawler_session(settings: CrawlerSettings) -> aiohttp.ClientSession:
    """The session all platforms share; its connector refuses internal addresses at connect time."""
    guard = AddressGuard(
        allow_private=settings.allow_private_addresses,
        trusted_hosts=settings.trusted_hosts,
        allowed_networks=[str(n) for n in settings.allowed_networks],
    )
    return guarded_session(guard)


def work_terms(settings: CrawlerSettings, title: str, aliases: Sequence[str]) -> list[str]:
    chosen = settings.works.get(title)
    profile = (
        SearchProfile(chosen.words, chosen.episodes, chosen.extra_terms)
        if chosen
        else SearchProfile()
    )
    return search_terms(title, aliases, profile)


@dataclass
class Tally:
    discovered: int = 0
    sampled: int = 0
    matched: int = 0
    failed: int = 0
    bytes_downloaded: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome, matched: bool) -> None:
        self.discovered += 1
        self.outcomes.append(outcome)
        if outcome.sample is not None:
            self.sampled += 1
            self.bytes_downloaded += outcome.sample.bytes_downloaded
        if outcome.error:
            self.failed += 1
        if matched:
            self.matched += 1


async def crawl(
    platform_name: str,
    settings: CrawlerSettings,
    state: CrawlState,
    scan: Scanner,
    *,
    sources: Sources,
    dest_dir: Path,
    once: bool = True,
    options: Mapping[str, Any] | None = None,
    on_outcome: Callable[[Outcome], bool] = lambda outcome: False,
    session: aiohttp.ClientSession | None = None,
) -> Tally:
    """Crawl ``platform_name`` once (or forever); ``on_outcome`` reports and says "matched"."""
    tally = Tally()
    own_session = session is None
    session = session or crawler_session(settings)
    try:
        platform: Platform = platform_class(platform_name)(
            session, platform_config(settings, platform_name, options), state
        )
        crawler = Crawler(platform, scan, dest_dir, concurrency=settings.concurrency)
        while True:
            # closed on any exit (an error in on_outcome, cancellation): its in-flight sampling
            # tasks are cancelled now rather than when the generator is garbage-collected
            async with aclosing(crawler.run_once(sources)) as outcomes:
                async for outcome in outcomes:
                    tally.add(outcome, on_outcome(outcome))
            if once:
                return tally
            await asyncio.sleep(settings.poll_interval_s)
    finally:
        if own_session:
            await session.close()
