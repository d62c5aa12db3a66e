"""`dramaguard music` end to end: a holder excludes a licensed track, after which a video sharing
only that music matches nothing, while a covered copy of the episode's dialogue is still claimed
(real files, real SQLite, espeak-ng speech); bad input gets a clear error and changes nothing."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.audio_set import music, soundtrack, speech, to_rate, write
from monitor import samples
from dramaguard.cli import app

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt)")
runner = CliRunner()
SECONDS = 14


def cli(home, *args):
    return runner.invoke(app, ["--home", str(home), *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("bank")
    bgm = music(seed=41, seconds=SECONDS)
    track = to_rate(soundtrack(bgm, [(1.0, speech("He was a delivery driver three years ago, tonight he owns the tower.")),
                                     (7.0, speech("Nobody at the party knows who he really is."))]), 8000)
    frames = list(samples.episode_frames(41, SECONDS))
    return {
        "episode": samples.write_video(root / "ep1.mp4", iter(frames), audio=track),
        "bgm": write(root / "licensed_bgm.wav", bgm),
        "same_bgm": samples.write_video(root / "dance.mp4", samples.episode_frames(42, SECONDS),
                                        audio=to_rate(0.35 * bgm, 8000), crf=30),
        "covered": samples.write_video(root / "covered.mp4", (np.zeros_like(f) for f in frames),
                                       audio=track, crf=30),
        "mute": samples.write_video(root / "mute.mp4", samples.episode_frames(43, 3)),
    }


def scan(home, path) -> list[dict]:
    result = cli(home, "scan", "--json", "--min-score", "0", path)
    return json.loads(result.stdout.strip().splitlines()[-1])["matches"]


def test_a_holders_bank_track_is_never_evidence(tmp_path, media):
    home = tmp_path / "home"
    assert cli(home, "register", "--work", "总裁归来", "--holder", "甲公司", media["episode"]).exit_code == 0
    before = scan(home, media["same_bgm"])
    assert before and before[0]["review"] == "audio only" and before[0]["carried_by"] == []

    added = cli(home, "music", "add", "--holder", "甲公司", media["bgm"])
    assert added.exit_code == 0 and "excluded: #1 'licensed_bgm.wav'" in added.stdout
    assert scan(home, media["same_bgm"]) == []
    [covered] = [m for m in scan(home, media["covered"]) if m["reference"] == "ep1.mp4"]
    assert covered["carried_by"] == ["dialogue"] and covered["score"] >= 0.5

    [entry] = json.loads(cli(home, "music", "list", "--holder", "甲公司", "--json").stdout)
    assert entry["holder"] == "甲公司" and entry["title"] == "licensed_bgm.wav"
    [flag] = json.loads(cli(home, "music", "shared", "--json").stdout)
    assert flag["source"] == "bank" and flag["source_id"] == 1 and flag["end_ms"] > 10_000

    assert cli(home, "music", "remove", "1", "--holder", "乙公司").exit_code == 1  # not theirs
    assert cli(home, "music", "remove", "1").exit_code == 0
    assert scan(home, media["same_bgm"])[0]["review"] == "audio only"


def test_bad_input_is_refused_clearly(tmp_path, media):
    home = tmp_path / "home"
    cli(home, "register", "--work", "总裁归来", "--holder", "甲公司", media["episode"])
    both = cli(home, "music", "add", "--holder", "甲公司", "--all", media["bgm"])
    assert both.exit_code == 2
    unknown = cli(home, "music", "add", "--holder", "无此公司", media["bgm"])
    assert unknown.exit_code == 1 and "no rights holder named" in unknown.output
    mute = cli(home, "music", "add", "--all", media["mute"])
    assert mute.exit_code == 1 and "no sound to exclude" in mute.output
    assert cli(home, "music", "list").stdout.strip() == "the music bank is empty"
