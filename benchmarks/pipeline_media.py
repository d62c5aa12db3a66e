"""Realistic candidates for the pipeline benchmark: vertical 720×1280 H.264, 1–3 minutes.

Three reference "episodes" are built from disjoint sets of the development benchmark's source
clips (``$DRAMAGUARD_BENCH_DIR/dev/refs``), looped to 60, 120 and 180 s and fitted into a vertical
720×1280 frame. Pirated copies are ffmpeg edits of those episodes (mirror, crop, speed, pad,
logo, time cut, re-encode at another quality, moov at the end); innocent uploads are the
benchmark's unregistered distractor clips (and one hard negative) made into episodes the same way.
Everything is written under the given folder (keep it in /tmp, never in the repository).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

VERTICAL = "scale=720:1280:force_original_aspect_ratio=decrease,pad=720:1280:(ow-iw)/2:(oh-ih)/2,fps=30,setsar=1"
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60", "-an"]

REFERENCES = {  # name: (source clips, seconds)
    "ep1": (["compilation_ep1"], 60),
    "ep2": (["bikes", "carphone_pristine", "pattern-hd-no-bar"], 120),
    "ep3": (["video_capybara_v0_1_image_to_video-1", "api_google_gemini_omni_flash_video_edit-1",
             "api_grok_video_edit-1", "video_capybara_v0_1_video_edit-1", "api_kling_o3_video_edit-1"], 180),
}
PIRATED = {  # name: (reference, ffmpeg video filter, extra output args)
    "pirate-mirror-crop": ("ep1", "hflip,crop=iw*0.88:ih*0.88,scale=720:1280", ["-crf", "26"]),
    "pirate-speed": ("ep2", "setpts=PTS/1.1,eq=brightness=0.04:saturation=1.2", ["-crf", "23"]),
    "pirate-pad-logo": ("ep3", "scale=600:-2,pad=720:1280:(ow-iw)/2:(oh-ih)/2,drawbox=x=20:y=40:w=160:h=60:color=red@0.8:t=fill", ["-crf", "28"]),
    "pirate-timecut": ("ep2", "crop=iw*0.92:ih*0.92,scale=720:1280", ["-ss", "25", "-crf", "30"]),
    "pirate-mirror-25fps": ("ep3", "hflip,fps=25", ["-crf", "24"]),
    "pirate-moov-last": ("ep1", "eq=contrast=1.15,noise=alls=6:allf=t", ["-crf", "27", "-movflags", "-faststart"]),
}
INNOCENT = {  # name: (source clips under dev/queries or dev/refs, seconds)
    "innocent-1": (["q0028", "q0029"], 60),
    "innocent-2": (["q0030", "q0031", "q0032"], 120),
    "innocent-3": (["q0032", "q0028"], 180),
    "innocent-4": (["q0029", "q0030", "q0031"], 90),
    "innocent-5": (["q0033", "q0031"], 150),  # a hard negative: an AI edit of a registered clip's source
    "innocent-6": (["q0031", "q0028", "q0030"], 75),
}


@dataclass(frozen=True)
class Media:
    references: list[Path]
    pirated: dict[str, tuple[Path, str]]  # name: (file, reference name)
    innocent: list[Path]


def _clip(bench: Path, name: str) -> Path:
    for folder in ("refs", "queries"):
        path = bench / "dev" / folder / f"{name}.mp4"
        if path.exists():
            return path
    raise FileNotFoundError(f"{name}.mp4 not in {bench / 'dev'}")


def _ffmpeg(args: list[str]) -> None:
    subprocess.run(["nice", "-n", "10", "ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def _episode(bench: Path, clips: list[str], seconds: int, out: Path) -> Path:
    """The clips, each fitted into 720×1280, joined into one cycle and looped to ``seconds``."""
    if out.exists():
        return out
    cycle = out.with_suffix(".cycle.mp4")
    inputs, labels = [], []
    for i, name in enumerate(clips):
        inputs += ["-i", str(_clip(bench, name))]
        labels.append(f"[{i}:v]{VERTICAL}[v{i}]")
    concat = "".join(f"[v{i}]" for i in range(len(clips))) + f"concat=n={len(clips)}:v=1:a=0[out]"
    _ffmpeg([*inputs, "-filter_complex", ";".join(labels) + ";" + concat, "-map", "[out]",
             *X264, "-crf", "16", str(cycle)])
    _ffmpeg(["-stream_loop", "-1", "-i", str(cycle), "-t", str(seconds), *X264, "-crf", "21",
             "-movflags", "+faststart", str(out)])
    cycle.unlink()
    return out


def make_media(bench: Path, root: Path, only: set[str] | None = None) -> Media:
    """Build (or reuse) every file under ``root`` (the references, and of the candidates only
    those named in ``only`` when given)."""
    root.mkdir(parents=True, exist_ok=True)
    refs = {name: _episode(bench, clips, secs, root / f"{name}.mp4") for name, (clips, secs) in REFERENCES.items()}
    pirated = {}
    for name, (ref, vf, extra) in PIRATED.items():
        if only is not None and name not in only:
            continue
        out = root / f"{name}.mp4"
        if not out.exists():
            seek = extra[:2] if extra[:1] == ["-ss"] else []
            rest = extra[2:] if seek else extra
            flags = [] if "-movflags" in rest else ["-movflags", "+faststart"]
            _ffmpeg([*seek, "-i", str(refs[ref]), "-vf", vf, *X264, *rest, *flags, str(out)])
        pirated[name] = (out, ref)
    innocent = [_episode(bench, clips, secs, root / f"{name}.mp4") for name, (clips, secs) in INNOCENT.items()
                if only is None or name in only]
    return Media(list(refs.values()), pirated, innocent)
