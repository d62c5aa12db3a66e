"""CLI: ``dramaguard crawl PLATFORM`` and ``dramaguard platform-sim``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from crawler.runner import Outcome, Sources
from monitor.crawling import Tally, crawl, work_terms
from dramaguard.settings import Settings
from storage.crawl import SqlCrawlState
from storage.db import transaction
from storage.models import Work


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl_command)
    app.command("platform-sim")(platform_sim_command)


def crawl_command(
    ctx: typer.Context,
    platform: str = typer.Argument(..., help="simulated, ytdlp, feed"),
    work: list[str] = typer.Option(
        [], "--work", help="search for this work (repeatable); default all"
    ),
    once: bool = typer.Option(False, "--once", help="one pass, then exit"),
    option: list[str] = typer.Option(
        [], "--option", "-o", help="platform option KEY=VALUE (JSON value ok)"
    ),
    account: list[str] = typer.Option([], "--account", help="watched uploader (repeatable)"),
    search: bool = typer.Option(True, "--search/--no-search", help="search for the works' terms"),
) -> None:
    """Discover new videos, sample and scan them; print those matching registered works."""
    settings: Settings = ctx.obj
    # Imported here: services.py is the lead's composition of the index and database.
    from indexing.catalogue import Services

    console = Console()
    with Services.open(settings) as services:
        terms = _terms(settings, services.sessions, work) if search else []
        sources = Sources(new_uploads=True, accounts=account, terms=terms)

        async def scan(sample):
            # a MATCH is a copy worth a notice; weaker candidates are not printed or kept
            report = await asyncio.to_thread(
                services.scan_file, sample.path, min_score=settings.matcher.notify_score
            )
            if not report.matches and not report.error:
                sample.path.unlink(missing_ok=True)  # only matched samples are evidence
            return report

        tally = run_with_progress(
            console,
            platform,
            settings,
            SqlCrawlState(services.sessions),
            scan,
            sources,
            once=once,
            options=_options(option),
        )
    console.print(
        f"{tally.discovered} candidates, {tally.sampled} sampled "
        f"({tally.bytes_downloaded / 1e6:.1f} MB), {tally.matched} matched, {tally.failed} failed"
    )


def run_with_progress(console, platform, settings, state, scan, sources, *, once, options) -> Tally:
    """The crawl with a live status line; matches and failures are printed as they come."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"crawling {platform}", total=None)
        counts = {"seen": 0, "matched": 0, "failed": 0}

        def report(outcome: Outcome) -> bool:
            counts["seen"] += 1
            matched = print_outcome(console, outcome)
            counts["matched"] += matched
            counts["failed"] += outcome.error is not None
            progress.update(
                task,
                description=f"crawling {platform}: {counts['seen']} candidates, "
                f"{counts['matched']} matched, {counts['failed']} failed",
            )
            return matched

        return asyncio.run(
            crawl(
                platform,
                settings.crawler,
                state,
                scan,
                sources=sources,
                dest_dir=settings.home / "samples" / platform,
                once=once,
                options=options,
                on_outcome=report,
            )
        )


def print_outcome(console: Console, outcome: Outcome) -> bool:
    """Print a match or a failure; returns whether the candidate matched a registered work."""
    candidate = outcome.candidate
    if outcome.error:
        console.print(f"[yellow]skip[/] {candidate.url}: {outcome.error}", markup=True)
        return False
    report = outcome.result
    if getattr(report, "error", None):
        console.print(f"[yellow]scan failed[/] {candidate.url}: {report.error}")
        return False
    matches = list(getattr(report, "matches", []) or [])
    for match in matches:
        console.print(
            f"[bold red]MATCH[/] {match.work} ep {match.episode} score {match.score:.2f} "
            f"({match.query_coverage:.0%} of sample) ← {candidate.url} "
            f"“{candidate.title}” by {candidate.uploader_name or candidate.uploader_id or '?'}",
        )
    return bool(matches)


def _terms(settings: Settings, sessions, titles: list[str]) -> list[str]:
    with transaction(sessions) as session:
        query = select(Work)
        if titles:
            query = query.where(Work.title.in_(titles))
        works = list(session.scalars(query))
    missing = set(titles) - {w.title for w in works}
    if missing:
        raise typer.BadParameter(f"no registered work titled {', '.join(sorted(missing))}")
    return [t for w in works for t in work_terms(settings.crawler, w.title, w.aliases or [])]


def _options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"--option needs KEY=VALUE, got {pair!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def platform_sim_command(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8377, "--port"),
    seed_dir: Path | None = typer.Option(None, "--seed-dir", help="upload the videos in DIR"),
    latency_ms: str = typer.Option("0", "--latency-ms", help="per-request latency, e.g. 50-200"),
    rate_429: float = typer.Option(0.0, "--rate-429", help="share of requests answered 429"),
    takedown_delay_s: float = typer.Option(0.0, "--takedown-delay-s"),
) -> None:
    """Run the simulated short-video platform (for the demo and manual tests)."""
    from aiohttp import web

    from crawler.simulated.server import Faults, PlatformSim

    low, _, high = latency_ms.partition("-")
    faults = Faults(latency_s=(float(low) / 1000, float(high or low) / 1000), rate_429=rate_429)
    sim = PlatformSim(faults=faults, takedown_delay_s=takedown_delay_s)
    sim.base_url = f"http://{host}:{port}"
    if seed_dir is not None:
        typer.echo(f"seeded {len(sim.seed_dir(seed_dir))} videos from {seed_dir}")
    web.run_app(sim.make_app(), host=host, port=port, print=lambda text: typer.echo(text))
