"""The same registry and scanner on the real PostgreSQL server."""
from __future__ import annotations

import pytest

from indexing.catalogue import Services
from dramaguard.settings import Settings

pytestmark = pytest.mark.postgres


def test_register_scan_and_reopen_on_postgres(tmp_path, fresh_postgres_url, sample_media):
    settings = Settings(home=tmp_path / "home", database_url=fresh_postgres_url)
    with Services.open(settings) as services:
        results = services.register_files([sample_media["ep1"], sample_media["ep2"]], work="剧", holder="甲")
        assert [r.created for r in results] == [True, True]
        again = services.register_files([sample_media["ep1"]], work="剧", holder="甲")
        assert again[0].created is False and again[0].error is None
    (settings.home / "index" / "frames.faiss").unlink()  # lose the index: rebuilt from PostgreSQL
    with Services.open(settings) as services:
        report = services.scan_file(sample_media["pad_speed"])
        assert report.matches[0].episode == 2 and report.matches[0].work == "剧"
