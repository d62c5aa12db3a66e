"""Embedding: add the keyed pattern to every frame's luma and re-encode at high quality.

Audio packets are copied untouched; frame timestamps are kept, so the copy is frame-for-frame the
original plus the mark. The output appears only when complete (written beside it, then renamed).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from fingerprint.watermark.errors import WatermarkError
from fingerprint.watermark.pattern import Pattern, WatermarkParams, key_tag
from fingerprint.watermark.payload import WatermarkPayload, encode_bits
from fingerprint.watermark.quality import mse, psnr_db, ssim
from fingerprint.watermark.video import iter_luma, open_video

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodeOptions:
    codec: str = "libx264"
    crf: int = 12  # the re-encode, not the mark, dominates the loss: crf 18 costs ~2 dB more
    preset: str = "medium"


@dataclass(frozen=True)
class EmbedReport:
    """Transparency of the written copy against the source (luma; includes the re-encode loss)."""

    psnr_db: float
    ssim: float
    frames: int
    embed_psnr_db: float  # the mark alone, before encoding


def embed_video(
    src: Path,
    dst: Path,
    payload: WatermarkPayload,
    key: bytes,
    *,
    params: WatermarkParams = WatermarkParams(),
    encode: EncodeOptions = EncodeOptions(),
) -> EmbedReport:
    """Write ``dst``: ``src`` carrying ``payload`` under ``key``; then measure it against ``src``."""
    if not key:
        raise ValueError("the watermark key must not be empty")
    pattern = Pattern(key, params)
    mark = pattern.mark(encode_bits(payload, key_tag(key)))
    partial = dst.with_name(f".{dst.stem}.partial{dst.suffix}")
    try:
        frames, embed_mse = _write_marked(src, partial, mark, encode)
        os.replace(partial, dst)
    finally:
        partial.unlink(missing_ok=True)
    file_mse, file_ssim = _compare(src, dst)
    report = EmbedReport(psnr_db(file_mse), file_ssim, frames, psnr_db(embed_mse))
    log.info("watermarked %s -> %s: %d frames, PSNR %.2f dB, SSIM %.4f", src, dst,
             frames, report.psnr_db, report.ssim)
    return report


def _write_marked(
    src: Path, dst: Path, mark: np.ndarray, encode: EncodeOptions
) -> tuple[int, float]:
    with open_video(src) as source:
        vin = source.streams.video[0]
        width, height = vin.codec_context.width, vin.codec_context.height
        if width % 2 or height % 2:
            raise WatermarkError(str(src), f"odd frame size {width}x{height} (4:2:0 needs even)")
        resized = cv2.resize(mark, (width, height), interpolation=cv2.INTER_LINEAR)
        rate = vin.average_rate or vin.guessed_rate or Fraction(25)
        try:
            sink = av.open(str(dst), mode="w")
        except (av.FFmpegError, ValueError) as exc:
            raise WatermarkError(str(dst), f"cannot write here ({exc})") from exc
        with sink:
            vout = sink.add_stream(encode.codec, rate=rate)
            vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
            vout.time_base = vin.time_base
            vout.codec_context.time_base = vin.time_base
            if encode.codec == "libx264":
                vout.options = {"crf": str(encode.crf), "preset": encode.preset}
            else:
                vout.codec_context.qscale = 2  # mpeg4: highest practical quality
            audio = {s.index: sink.add_stream_from_template(s) for s in source.streams.audio}
            frames, squared = 0, 0.0
            try:
                for packet in source.demux(vin, *source.streams.audio):
                    if packet.stream.index in audio:
                        if packet.dts is not None:
                            packet.stream = audio[packet.stream.index]
                            sink.mux(packet)
                        continue
                    for frame in packet.decode():
                        marked, err = _mark_frame(frame, resized)
                        squared += err
                        frames += 1
                        sink.mux(vout.encode(marked))
            except av.FFmpegError as exc:
                raise WatermarkError(str(src), f"corrupt video ({exc})") from exc
            sink.mux(vout.encode(None))
        if frames == 0:
            raise WatermarkError(str(src), "no decodable video frames")
        return frames, squared / frames


def _mark_frame(frame: av.VideoFrame, mark: np.ndarray) -> tuple[av.VideoFrame, float]:
    planes = frame.to_ndarray(format="yuv420p")
    height = frame.height
    luma = planes[:height]
    marked = np.clip(np.rint(luma + mark), 0, 255).astype(np.uint8)
    err = mse(luma, marked)
    planes[:height] = marked
    out = av.VideoFrame.from_ndarray(planes, format="yuv420p")
    out.pts, out.time_base = frame.pts, frame.time_base
    return out, err


def _compare(src: Path, dst: Path) -> tuple[float, float]:
    """Mean luma MSE and SSIM of ``dst`` against ``src``, frame by frame."""
    errors, scores = [], []
    for original, copy in zip(iter_luma(src), iter_luma(dst)):
        errors.append(mse(original, copy))
        scores.append(ssim(original, copy))
    return float(np.mean(errors)), float(np.mean(scores))
