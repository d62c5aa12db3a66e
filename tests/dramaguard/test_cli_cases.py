"""``dramaguard cases list/show/metrics`` and ``notices preview`` on a real database."""
from __future__ import annotations

import json

import pypdf
import typer
from typer.testing import CliRunner

from dramaguard import cli

from dramaguard.cli import cases as cli_cases

from monitor import casework
from dramaguard.settings import NoticeSettings
from storage.db import transaction
from tests.monitor.casework_fixtures import candidate, make_world


def app() -> typer.Typer:
    """The real root callback (``--home`` → Settings in ctx.obj) with only these commands."""
    root = typer.Typer()
    root.callback()(cli.main)
    cli_cases.register(root)
    return root


def test_list_show_preview_and_metrics(tmp_path) -> None:
    world = make_world(tmp_path, NoticeSettings())
    with transaction(world.sessions) as s:
        [opened] = casework.ingest_matches(s, candidate=candidate("v1"), reports=[world.report()],
                                           clock=world.clock, settings=world.settings)
    runner, home = CliRunner(), ["--home", str(tmp_path)]

    listed = runner.invoke(app(), [*home, "cases", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = [json.loads(line) for line in listed.output.splitlines()]
    assert (row["id"], row["state"]) == (opened.case_id, "detected")
    assert row["url"] == candidate("v1").url

    shown = runner.invoke(app(), [*home, "cases", "show", str(opened.case_id), "--json"])
    data = json.loads(shown.output)
    assert data["events"][0]["event"] == "opened" and data["evidence_sha256"]

    preview = runner.invoke(app(), [*home, "notices", "preview", str(opened.case_id),
                                    "--out", str(tmp_path / "p")])
    assert preview.exit_code == 0, preview.output
    pdf = tmp_path / "p" / f"case-{opened.case_id}.pdf"
    text = pypdf.PdfReader(pdf).pages[0].extract_text()
    assert "侵权通知书" in text
    assert candidate("v1").url in (tmp_path / "p" / f"case-{opened.case_id}.html").read_text()

    metrics = runner.invoke(app(), [*home, "cases", "metrics"])
    assert json.loads(metrics.output)["cases"] == 1

    missing = runner.invoke(app(), [*home, "cases", "show", "999"])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    human = runner.invoke(app(), [*home, "cases", "list"])
    assert human.exit_code == 0 and "detected" in human.output


def test_receipt_export(tmp_path) -> None:
    world = make_world(tmp_path, NoticeSettings())
    runner, home = CliRunner(), ["--home", str(tmp_path)]
    result = runner.invoke(app(), [*home, "notices", "receipt", str(world.episode_ids[0]),
                                   "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    name = f"DG-R-{world.episode_ids[0]:06d}"
    body = json.loads((tmp_path / "r" / f"{name}.json").read_text())
    assert body["file_sha256"] == "1" * 64 and body["fingerprint_digest"] == "d1" * 32
    text = pypdf.PdfReader(tmp_path / "r" / f"{name}.pdf").pages[0]
    assert "作品存证回执" in text.extract_text()
    again = runner.invoke(app(), [*home, "notices", "receipt", str(world.episode_ids[0]),
                                  "--out", str(tmp_path / "r")])
    assert again.output.splitlines()[0] == result.output.splitlines()[0]  # same receipt
    assert runner.invoke(app(), [*home, "notices", "receipt", "999"]).exit_code == 1
