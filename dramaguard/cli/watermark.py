"""`dramaguard watermark embed|detect`: mark a recipient's copy; read the mark of a leaked one."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dramaguard.settings import Settings
from indexing.watermarking import MissingKeyError, watermark_key, watermark_params
from fingerprint.watermark import (
    EncodeOptions,
    WatermarkError,
    WatermarkPayload,
    detect_video,
    embed_video,
)

watermark_app = typer.Typer(help="Forensic watermarks: whose copy leaked.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(watermark_app, name="watermark")


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj if isinstance(ctx.obj, Settings) else Settings()


def _key(settings: Settings) -> bytes:
    try:
        return watermark_key(settings)
    except MissingKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@watermark_app.command("embed")
def embed(
    ctx: typer.Context,
    episode: Annotated[Path, typer.Argument(help="the episode's video file")],
    out: Annotated[Path, typer.Argument(help="where to write the marked copy")],
    recipient: Annotated[int, typer.Option(help="recipient (partner/platform) id, 32-bit")],
    episode_id: Annotated[int, typer.Option(help="episode id carried in the mark, 32-bit")] = 0,
) -> None:
    """Write a copy of EPISODE carrying an invisible mark of RECIPIENT and the episode id."""
    settings = _settings(ctx)
    try:
        payload = WatermarkPayload(recipient, episode_id)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    try:
        report = embed_video(episode, out, payload, _key(settings),
                             params=watermark_params(settings),
                             encode=EncodeOptions(crf=settings.watermark.crf))
    except WatermarkError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"wrote {out}: recipient {recipient}, episode {episode_id}, {report.frames} frames, "
               f"PSNR {report.psnr_db:.2f} dB (mark alone {report.embed_psnr_db:.2f} dB), "
               f"SSIM {report.ssim:.4f}")


@watermark_app.command("detect")
def detect(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="a suspect video")],
    start: Annotated[float | None, typer.Option(help="first second to read")] = None,
    end: Annotated[float | None, typer.Option(help="last second to read")] = None,
) -> None:
    """Print the recipient and episode a FILE was marked for, or "no watermark" (exit code 1)."""
    settings = _settings(ctx)
    try:
        found = detect_video(file, _key(settings), start_s=start, end_s=end,
                             params=watermark_params(settings))
    except WatermarkError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if found is None:
        typer.echo("no watermark")
        raise typer.Exit(1)
    place = found.placement
    typer.echo(f"recipient {found.payload.recipient} episode {found.payload.episode} "
               f"(confidence {found.confidence:.3f}, {found.bit_errors} bit errors corrected, "
               f"{found.frames} frames{', mirrored' if place.flipped else ''}, "
               f"visible {place.scale_x:.0%} x {place.scale_y:.0%})")
