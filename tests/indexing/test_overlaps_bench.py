"""Reference overlaps on real clips: a series whose episodes share an intro and an outro.

Registration finds the shared spans; a copy of the intro alone claims nothing; a copy of one
episode claims that episode only, intro included; another holder's episode showing the same
intro is flagged for review."""
from __future__ import annotations

import pytest

from benchmarks.edits import Piece, crop, write
from indexing.catalogue import Services
from dramaguard.settings import Settings
from storage.db import transaction
from storage.overlaps import overlaps_of_work

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def series(bench_dir, tmp_path_factory):
    tmp, refs = tmp_path_factory.mktemp("series"), bench_dir / "refs"
    intro = Piece(refs / "compilation_ep1.mp4", 0, 5.4)
    outro = Piece(refs / "pattern-hd-no-bar.mp4", 0, 4)
    own = [Piece(refs / "bikes.mp4", 0, 8), Piece(refs / "compilation_ep1.mp4", 30, 38),
           Piece(refs / "carphone_pristine.mp4")]
    episodes = []
    for n, body in enumerate(own, start=1):
        episodes.append(tmp / f"ep{n}.mp4")
        write(episodes[-1], [intro, body, outro])
    other_holder = tmp / "other.mp4"
    write(other_holder, [Piece(refs / "compilation_ep1.mp4", 40, 48), intro])
    settings = Settings(home=tmp / "home")
    with Services.open(settings) as services:
        results = services.register_files(episodes, work="series", holder="studio")
        [foreign] = services.register_files([other_holder], work="elsewhere", holder="someone-else")
        queries = {
            "intro_only": tmp / "q_intro.mp4", "ep2": tmp / "q_ep2.mp4",
        }
        write(queries["intro_only"], [intro], edit=crop(0.1))
        write(queries["ep2"], [Piece(episodes[1])], edit=crop(0.1))
        yield services, results, foreign, queries


def test_registration_finds_the_shared_intro_and_outro(series):
    services, results, foreign, _ = series
    assert results[0].overlaps == 0  # nothing registered before it
    assert all(r.overlaps >= 2 for r in results[1:]), results  # intro and outro with each earlier one
    assert all(r.cross_holder_overlaps == 0 for r in results)
    shared = services.shared_footage[results[1].episode_id]
    assert any(s < 500 and abs(e - 5400) < 800 for s, e in shared), shared


def test_another_holders_episode_showing_the_intro_is_flagged(series):
    services, results, foreign, _ = series
    assert foreign.cross_holder_overlaps >= 1
    with transaction(services.sessions) as session:
        work_id = services._catalogue[results[0].episode_id][1]
        lines = overlaps_of_work(work_id, session=session)
    flagged = [line for line in lines if line["cross_holder"]]
    assert flagged and all(line["other_work"] is None for line in flagged)  # the other holder is not named


def test_a_copy_of_the_intro_alone_claims_nothing(series):
    services, _, _, queries = series
    report = services.scan_file(queries["intro_only"], min_score=0.0)
    notify = services.settings.matcher.notify_score
    assert any(m.pair_score >= notify for m in report.matches)  # as pairs, it would cite them all
    assert all(m.score < notify for m in report.matches), [(m.reference, m.claim, m.score) for m in report.matches]
    assert {m.claim for m in report.matches} == {"overlap"}


def test_a_copy_of_one_episode_claims_that_episode_with_its_intro(series):
    services, results, _, queries = series
    report = services.scan_file(queries["ep2"], min_score=0.0)
    notify = services.settings.matcher.notify_score
    claims = [m for m in report.matches if m.score >= notify]
    assert [m.reference for m in claims] == ["ep2.mp4"], [(m.reference, m.claim, m.score) for m in report.matches]
    assert claims[0].query_start < 0.5 and claims[0].shared_s > 4
