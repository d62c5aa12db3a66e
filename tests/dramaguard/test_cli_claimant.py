"""``dramaguard claimant`` and ``dramaguard proofs``: a holder is made ready to notify from the CLI."""
from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from dramaguard import cli
from dramaguard.cli import claimant as cli_claimant
from monitor.demo_profile import example_certificate_pdf
from dramaguard.settings import NoticeSettings
from tests.monitor.casework_fixtures import make_world


def app() -> typer.Typer:
    root = typer.Typer()
    root.callback()(cli.main)
    cli_claimant.register(root)
    return root


def test_profile_and_proof_from_the_cli(tmp_path) -> None:
    make_world(tmp_path, NoticeSettings(), claimant=False)
    runner, home = CliRunner(), ["--home", str(tmp_path)]
    shown = runner.invoke(app(), [*home, "claimant", "show", "星河短剧有限公司", "--json"])
    assert shown.exit_code == 1 and json.loads(shown.output)["missing"] == ["claimant_profile"]
    bad = runner.invoke(app(), [*home, "claimant", "set", "星河短剧有限公司", "-f", "seal=x"])
    assert bad.exit_code == 1 and "NAME=VALUE" in bad.output
    fields = ["legal_name=星河短剧有限公司", "address=北京市朝阳区星河路1号", "email=legal@xinghe.example",
              "phone=010-88886666", "signatory=李明", "signatory_capacity=法定代表人"]
    saved = runner.invoke(app(), [*home, "claimant", "set", "星河短剧有限公司", *[a for f in fields for a in ("-f", f)]])
    assert saved.exit_code == 0 and saved.output.strip() == "saved", saved.output
    assert runner.invoke(app(), [*home, "claimant", "show", "星河短剧有限公司"]).exit_code == 0

    fake = tmp_path / "certificate.pdf"
    fake.write_bytes(b"MZ\x90 an executable")
    refused = runner.invoke(app(), [*home, "proofs", "add", str(fake), "--holder", "星河短剧有限公司",
                                    "--kind", "registration_certificate", "--work", "霸道总裁的契约新娘"])
    assert refused.exit_code == 1 and "not a PDF" in refused.output and not (tmp_path / "proofs").exists()
    fake.write_bytes(example_certificate_pdf())
    added = runner.invoke(app(), [*home, "proofs", "add", str(fake), "--holder", "星河短剧有限公司",
                                  "--kind", "registration_certificate", "--work", "霸道总裁的契约新娘"])
    assert added.exit_code == 0 and "proof 1: registration_certificate certificate.pdf" in added.output
    listed = runner.invoke(app(), [*home, "proofs", "list", "--holder", "星河短剧有限公司"])
    assert "ready to notify" in listed.output and "NOT ready" not in listed.output
    assert runner.invoke(app(), [*home, "proofs", "remove", "1"]).exit_code == 0
    assert "NOT ready" in runner.invoke(app(), [*home, "proofs", "list", "--holder", "星河短剧有限公司"]).output
