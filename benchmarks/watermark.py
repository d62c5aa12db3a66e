"""Watermark benchmark: transparency, robustness per pirate transform, false detections.

Marks every reference clip of the dev benchmark plus generated clips, applies the matcher
benchmark's pirate transforms (re-encode, scale, crop, flip, brightness, overlays, speed and
combinations), and prints per transform the raw bit error rate (before error correction, at the
best pilot placement) and the correct-recipient rate; then the false-detection rate on unmarked
video (all dev refs and queries) under several keys.

    .venv/bin/python -m benchmarks.watermark [--bench ../shared/bench/dev] [--keys 8]
"""
from __future__ import annotations

import argparse
import datetime
import tempfile
import time
from pathlib import Path

import numpy as np

from fingerprint.watermark import WatermarkPayload, detect, embed_video, gather_video, read
from fingerprint.watermark.pattern import key_tag
from fingerprint.watermark.payload import encode_bits
from tests.fingerprint.synthetic import (
    brightness,
    chain,
    crop,
    hflip,
    overlay,
    transcode,
    write_textured_video,
)

KEY = b"benchmark-watermark-key"
TRANSFORMS: dict[str, dict] = {
    "none (marked file)": {},
    "re-encode crf 23": {"crf": 23},
    "re-encode low (crf 35)": {"crf": 35},
    "scale 0.5": {"scale": 0.5},
    "crop 5 %": {"op": crop(0.05)},
    "crop 10 %": {"op": crop(0.10)},
    "hflip": {"op": hflip},
    "brightness +30": {"op": brightness(30)},
    "text + logo overlay": {"op": overlay},
    "speed 1.25x (frame drop)": {"speed": 1.25},
    "hflip + crop 5 % + scale 0.75": {"op": chain(hflip, crop(0.05)), "scale": 0.75},
    "overlay + brightness + crf 28": {"op": chain(overlay, brightness(30)), "crf": 28},
    "speed 1.25x + crop 10 % + scale 0.5": {"op": crop(0.10), "speed": 1.25, "scale": 0.5},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=Path("../shared/bench/dev"))
    parser.add_argument("--keys", type=int, default=8, help="keys tried per unmarked video")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clips = sorted((args.bench / "refs").glob("*.mp4"))
        clips += [write_textured_video(work / f"generated-{i}.mp4", width=w, height=h,
                                       frames=96, seed=i)
                  for i, (w, h) in enumerate([(480, 272), (272, 480)])]
        robustness(clips, work)
        false_detections(args.bench, args.keys)


def robustness(clips: list[Path], work: Path) -> None:
    rows: dict[str, list[tuple[float, bool]]] = {name: [] for name in TRANSFORMS}
    print(f"{'clip':44} {'frames':>6} {'PSNR dB':>8} {'mark-only':>9} {'SSIM':>7}")
    for number, clip in enumerate(clips):
        payload = WatermarkPayload(recipient=1000 + number, episode=500 + number)
        bits = encode_bits(payload, key_tag(KEY))
        marked = work / f"marked-{number}.mp4"
        report = embed_video(clip, marked, payload, KEY)
        print(f"{clip.name[:44]:44} {report.frames:6d} {report.psnr_db:8.2f} "
              f"{report.embed_psnr_db:9.2f} {report.ssim:7.4f}", flush=True)
        for name, edit in TRANSFORMS.items():
            copy = transcode(marked, work / "copy.mp4", **edit) if edit else marked
            evidence = gather_video(copy)
            readings = read(evidence, KEY)
            ber = float(np.mean((readings[0].soft_bits > 0) != bits.astype(bool)))
            found = detect(evidence, KEY)
            rows[name].append((ber, found is not None and found.payload == payload))
    print(f"\n{'transform':38} {'mean BER':>8} {'median BER':>10} {'recipient ok':>12}")
    for name, results in rows.items():
        bers = [b for b, _ in results]
        ok = sum(o for _, o in results)
        print(f"{name:38} {np.mean(bers):8.3f} {np.median(bers):10.3f} "
              f"{ok:5d}/{len(results):<3d} {ok / len(results):4.0%}")


def false_detections(bench: Path, n_keys: int) -> None:
    videos = sorted((bench / "refs").glob("*.mp4")) + sorted((bench / "queries").glob("*.mp4"))
    keys = [KEY] + [f"other-key-{i}".encode() for i in range(n_keys - 1)]
    trials = hits = 0
    started = time.perf_counter()
    for video in videos:
        evidence = gather_video(video)
        for key in keys:
            trials += 1
            hits += detect(evidence, key) is not None
    seconds = time.perf_counter() - started
    print(f"\nfalse detections on unmarked video: {hits}/{trials} "
          f"({len(videos)} videos x {len(keys)} keys, {seconds / trials:.2f} s per trial)")
    print(f"date {datetime.date.today().isoformat()}")


if __name__ == "__main__":
    main()
