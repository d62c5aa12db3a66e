"""The CLI contract end to end on generated media: real decoder, real SQLite, real FAISS file."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dramaguard.cli import app

runner = CliRunner()


def cli(home: Path, *args: str):
    return runner.invoke(app, ["--home", str(home), *map(str, args)], catch_exceptions=False)


def scan_json(home: Path, *files, extra=()) -> tuple[int, list[dict]]:
    result = cli(home, "scan", "--json", *extra, *files)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_register_then_scan_finds_episode_and_segments(tmp_path, sample_media):
    home = tmp_path / "home"
    result = cli(home, "register", "--work", "契约新娘", "--holder", "甲公司", "--json", sample_media["ep1"], sample_media["ep2"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["registered"] == 2 and summary["failed"] == 0

    code, reports = scan_json(home, sample_media["flip"], sample_media["pad_speed"], sample_media["innocent"])
    assert code == 0
    flip, pad, innocent = reports
    assert flip["error"] is None and flip["matches"][0]["episode"] == 1
    assert flip["matches"][0]["work"] == "契约新娘" and flip["matches"][0]["reference"] == "ep1.mp4"
    top = pad["matches"][0]
    assert top["episode"] == 2
    assert set(top) >= {"work", "episode", "reference", "score", "query_start", "query_end", "ref_start", "ref_end"}
    assert top["ref_end"] - top["ref_start"] > 1.15 * (top["query_end"] - top["query_start"])  # 1.25x speed
    assert innocent["matches"] == []


def test_compilation_yields_one_match_per_episode_with_offsets(tmp_path, sample_media):
    home = tmp_path / "home"
    cli(home, "register", "--work", "W", "--holder", "H", sample_media["ep1"], sample_media["ep2"])
    _, [report] = scan_json(home, sample_media["compilation"])
    by_episode = {m["episode"]: m for m in report["matches"]}
    assert set(by_episode) == {1, 2}
    assert by_episode[1]["query_start"] < 0.5 and abs(by_episode[1]["query_end"] - 6) < 0.6
    assert abs(by_episode[2]["query_start"] - 6) < 0.6 and abs(by_episode[2]["query_end"] - 12) < 0.6
    assert by_episode[2]["ref_start"] < 0.5


def test_min_score_zero_lists_weak_candidates_sorted(tmp_path, sample_media):
    home = tmp_path / "home"
    cli(home, "register", "--work", "W", "--holder", "H", sample_media["ep1"], sample_media["ep2"])
    _, [strict] = scan_json(home, sample_media["compilation"], extra=("--min-score", "0.99"))
    _, [loose] = scan_json(home, sample_media["compilation"], extra=("--min-score", "0"))
    assert len(loose["matches"]) >= len(strict["matches"])
    scores = [m["score"] for m in loose["matches"]]
    assert scores == sorted(scores, reverse=True)


def test_registering_the_same_file_twice_is_idempotent(tmp_path, sample_media):
    home = tmp_path / "home"
    first = cli(home, "register", "--work", "W", "--holder", "H", "--json", sample_media["ep1"])
    second = cli(home, "register", "--work", "W", "--holder", "H", "--json", sample_media["ep1"])
    assert json.loads(first.stdout.splitlines()[-1])["registered"] == 1
    again = json.loads(second.stdout.splitlines()[-1])
    assert again["registered"] == 0 and again["already_registered"] == 1
    listing = json.loads(cli(home, "works", "list", "--json").stdout)
    assert listing[0]["episodes"] == 1


def test_bad_files_get_one_line_errors_and_the_batch_goes_on(tmp_path, sample_media):
    home = tmp_path / "home"
    junk = tmp_path / "junk.mp4"
    junk.write_text("not video")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    result = cli(home, "register", "--work", "W", "--holder", "H", "--json", junk, sample_media["ep1"], tmp_path / "gone.mp4", empty)
    assert result.exit_code == 1
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["registered"] == 1 and summary["failed"] == 3
    errors = [e["error"] for e in summary["episodes"] if e["error"]]
    assert any("junk.mp4" in e and "not a readable media file" in e for e in errors)
    assert any("gone.mp4" in e and "no such file" in e for e in errors)
    assert any("empty.mp4" in e and "empty file" in e for e in errors)

    code, reports = scan_json(home, junk, sample_media["flip"])
    assert code == 1
    assert reports[0]["error"] and "junk.mp4" in reports[0]["error"] and reports[0]["matches"] == []
    assert reports[1]["error"] is None and reports[1]["matches"][0]["reference"] == "ep1.mp4"
    assert reports[1]["matches"][0]["episode"] == 2  # a failed file keeps its episode number


def test_an_episode_number_taken_by_another_file_is_refused(tmp_path, sample_media):
    home = tmp_path / "home"
    cli(home, "register", "--work", "W", "--holder", "H", sample_media["ep1"])
    result = cli(home, "register", "--work", "W", "--holder", "H", sample_media["ep2"])
    assert result.exit_code == 1
    assert "already registered with another file" in result.stderr


def test_works_remove_takes_episodes_out_of_the_index(tmp_path, sample_media):
    home = tmp_path / "home"
    cli(home, "register", "--work", "W", "--holder", "H", sample_media["ep1"])
    assert cli(home, "works", "remove", "W", "--yes").exit_code == 0
    _, [report] = scan_json(home, sample_media["flip"], extra=("--min-score", "0"))
    assert report["matches"] == []
    assert cli(home, "works", "remove", "W", "--yes").exit_code == 1
