"""A claim-level audio/video set from public material: does sound claim only what is the work's?

Episodes are pictures from the shared dev clips (../shared/bench, no sound of their own) with a
drama's soundtrack: background music synthesized here under espeak-ng dialogue in several voices
and languages. Two works use the same "stock" track, as licensed BGM is shared in practice.
Queries, each a real H.264 + AAC file:

- ``plain``: picture and sound re-encoded                                  → claim (picture)
- ``commentary``: picture mirrored and cropped, dialogue replaced by a voice-over over the music
  ("解说" re-edit)                                                        → claim (picture)
- ``audio_only``: picture covered (black), sound kept                      → claim (dialogue)
- ``audio_speed_1.1`` / ``audio_speed_0.9``: covered, sound resampled (pitch and tempo together)
                                                                         → claim (dialogue)
- ``same_bgm``: another picture with the episode's music alone             → no claim
- ``same_bgm_voice``: another picture, the music and someone else's voice → no claim
- ``stock_bgm``: another picture with the shared stock track              → no claim
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from benchmarks.audio_set import music, soundtrack, speech, speed_up, to_rate
from monitor import samples

SIZE = (384, 216)
AUDIO_RATE = 16000
LINES = (
    ("en-us", "The heir returns to the family on the night of the engagement party and nobody knows him."),
    ("cmn", "三年前他只是一个送外卖的，今天晚上他买下了这座城市最高的大楼。"),
    ("en-gb+f3", "She signed the contract without reading it, and now the company belongs to her rival."),
    ("yue", "你唔好睇小角落嗰个安静嘅女仔，佢已经计划咗好多年。"),
    ("es", "El heredero vuelve a casa la noche de la fiesta de compromiso y nadie lo reconoce."),
    ("de", "Sie hat den Vertrag unterschrieben, ohne ihn zu lesen, und jetzt gehört die Firma ihrer Rivalin."),
    ("cmn+f2", "你以为离开我你就能过上好日子吗？我告诉你，这个家永远是我说了算。"),
    ("en-us+m3", "Do not underestimate the quiet girl in the corner, she has been planning this for years."),
    ("ja", "三年間、彼は誰にも正体を明かさなかった。今夜、すべてが変わる。"),
    ("ko", "그는 삼 년 동안 아무에게도 정체를 밝히지 않았다. 오늘 밤 모든 것이 바뀐다."),
)
VOICE_OVER = (
    ("cmn+m2", "家人们，今天给大家解说一部超火的短剧，男主角隐藏身份整整三年。"),
    ("en-us+f4", "Hey everyone, today I am reviewing the craziest short drama of the week, stay to the end."),
)
VLOG = ("en-gb", "Today I am cooking noodles with my grandmother in the village, it smells amazing.")


@dataclass(frozen=True)
class Episode:
    path: Path
    work: str
    holder: str
    music: str  # the BGM's name ("stock" is shared by two works)


@dataclass(frozen=True)
class Query:
    path: Path
    kind: str
    episode: Path | None  # the episode it copies; None: must claim nothing
    expect: str | None  # the signal expected to carry the claim


def clip_frames(path: Path, start_s: float = 0.0, end_s: float = 1e9) -> Iterator[np.ndarray]:
    """RGB frames of ``path`` between the two times, resized to :data:`SIZE`."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base) if frame.pts is not None else 0.0
            if start_s <= t < end_s:
                yield cv2.resize(frame.to_ndarray(format="rgb24"), SIZE, interpolation=cv2.INTER_AREA)


def pictures(bench: Path) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Episode pictures (stretches of the dev references) and unrelated ones (clips not used)."""
    refs = bench / "dev" / "refs"
    compilation = refs / "compilation_ep1.mp4"
    episodes = [list(clip_frames(compilation, a, a + 15.0)) for a in (0.0, 15.0, 30.0, 45.0)]
    episodes.append([f for name in ("bikes", "carphone_pristine") for f in clip_frames(refs / f"{name}.mp4")])
    others = sorted(p for p in refs.glob("*edit-1.mp4")) + [refs / "pattern-hd-no-bar.mp4"]
    unrelated = [f for p in others for f in clip_frames(p)]
    return episodes, [unrelated[i::2] for i in range(2)]


def write(path: Path, frames: list[np.ndarray], sound: np.ndarray, fps: float = 24.0, crf: int = 23) -> Path:
    return samples.write_video(path, iter(frames), fps=fps, crf=crf, audio=to_rate(sound, AUDIO_RATE),
                               audio_rate=AUDIO_RATE)


def fit(frames: list[np.ndarray], seconds: float, fps: float = 24.0) -> list[np.ndarray]:
    """Loop or cut ``frames`` to ``seconds`` of picture."""
    n = int(seconds * fps)
    return [frames[i % len(frames)] for i in range(n)]


def build(folder: Path, bench: Path) -> tuple[list[Episode], list[Query], Path]:
    """Write episodes and queries under ``folder``; also returns the stock track's file (for the
    music exclusion bank)."""
    from benchmarks.audio_set import write as write_audio

    folder.mkdir(parents=True, exist_ok=True)
    episode_pics, unrelated = pictures(bench)
    seconds = 15.0
    stock = music(seed=500, seconds=seconds)
    episodes, queries = [], []
    for i, frames in enumerate(episode_pics):
        frames = fit(frames, seconds)
        # works: 0-1 "A" (holder 甲), 2-3 "B" (holder 乙), 4 "C" (乙); A's and B's first episodes share stock
        work, holder = [("总裁归来", "甲"), ("总裁归来", "甲"), ("契约新娘", "乙"), ("契约新娘", "乙"), ("隐婚", "乙")][i]
        bgm, bgm_name = (stock, "stock") if i in (0, 2) else (music(seed=600 + i, seconds=seconds), f"bgm{i}")
        (v1, t1), (v2, t2) = LINES[2 * i], LINES[2 * i + 1]
        lines = [(0.8, speech(t1, v1)), (8.0, speech(t2, v2))]
        sound = soundtrack(bgm, lines)
        path = write(folder / f"ep{i}.mp4", frames, sound)
        episodes.append(Episode(path, work, holder, bgm_name))
        black = [np.zeros_like(f) for f in frames]
        other = fit(unrelated[i % 2], seconds)
        voice = VOICE_OVER[i % 2]
        commentary = soundtrack(bgm, [(0.5, speech(voice[1], voice[0]))])
        mirrored = [cv2.resize(f[12:-12, 20:-20, :][:, ::-1], SIZE) for f in frames]
        made = {
            "plain": (frames, sound, path, "picture"),
            "commentary": (mirrored, commentary, path, "picture"),
            "audio_only": (black, sound, path, "dialogue"),
            "audio_speed_1.1": (black[: int(len(black) / 1.1)], speed_up(sound, 1.1), path, "dialogue"),
            "audio_speed_0.9": (black + black[: int(len(black) * 0.12)], speed_up(sound, 0.9), path, "dialogue"),
            "same_bgm": (other, 0.35 * bgm, None, None),
            "same_bgm_voice": (other, soundtrack(bgm, [(2.0, speech(VLOG[1], VLOG[0]))]), None, None),
        }
        for kind, (pics, audio, truth, expect) in made.items():
            queries.append(Query(write(folder / f"q{i}_{kind}.mp4", pics, audio, crf=30), kind, truth, expect))
    stock_query = write(folder / "q_stock_bgm.mp4", fit(unrelated[0][::-1], seconds), 0.35 * stock, crf=30)
    queries.append(Query(stock_query, "stock_bgm", None, None))
    return episodes, queries, write_audio(folder / "stock_bgm.wav", stock)
