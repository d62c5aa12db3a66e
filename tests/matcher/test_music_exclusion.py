"""Music that is not the work's own is never evidence: bank tracks (a holder's or an admin's)
and music shared with another work's episodes are left out, dialogue over them stays (real
espeak-ng speech and synthesized music, fingerprinted as registrations are)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from benchmarks.audio_set import music, soundtrack, speech, to_rate
from fingerprint.audio import describe_samples
from fingerprint.speech import SpeechParams
from matcher.audio import AudioIndex
from matcher.music import ExcludedTrack, Owner

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt)")
HOLDER_A, HOLDER_B = Owner(1, 10), Owner(2, 20)


def prints(samples: np.ndarray, tagged: bool = True):
    return describe_samples(to_rate(samples, 8000), speech=SpeechParams() if tagged else None)


@pytest.fixture(scope="module")
def sounds():
    bgm = music(seed=21, seconds=14)
    lines = [(1.0, speech("Three years ago he was a delivery driver, tonight he owns the tower.")),
             (7.5, speech("Do not underestimate the quiet girl in the corner of the room."))]
    other = [(2.0, speech("Add two cups of flour and a pinch of salt, then stir slowly.", "en-gb"))]
    episode = soundtrack(bgm, lines)
    return {
        "episode": prints(episode),
        "other_work": prints(soundtrack(bgm, other)),
        "bgm_track": prints(bgm, tagged=False),
        "bgm_query": [(1.0, prints(0.35 * bgm, tagged=False))],
        "copy_query": [(1.0, prints(episode, tagged=False))],
    }


def index_with(sounds, *tracks: ExcludedTrack, other: Owner | None = None) -> AudioIndex:
    index = AudioIndex()
    index.add(1, sounds["episode"], HOLDER_A)
    if other is not None:
        index.add(2, sounds["other_work"], other)
    for track in tracks:
        index.exclude_track(track)
    return index


def hits(index: AudioIndex, query, episode: int = 1) -> tuple[int, int]:
    found = {m.episode_id: m for m in index.match(query)}
    m = found.get(episode)
    return (m.hits, m.dialogue_hits) if m else (0, 0)


def test_without_a_bank_the_music_alone_matches(sounds):
    assert hits(index_with(sounds), sounds["bgm_query"])[0] > 100


@pytest.mark.parametrize("holder", [HOLDER_A.holder, None], ids=["holder's own", "admin's for all"])
def test_a_bank_track_is_never_evidence_but_dialogue_stays(sounds, holder):
    index = index_with(sounds, ExcludedTrack(7, sounds["bgm_track"], holder))
    assert hits(index, sounds["bgm_query"])[0] < 8  # below the matcher's min_hits: no match at all
    total, spoken = hits(index, sounds["copy_query"])
    assert spoken > 100 and total >= spoken  # the copy's dialogue is still heard
    [flag] = index.shared_sound()
    assert (flag.episode_id, flag.source, flag.source_id) == (1, "bank", 7) and flag.end_ms > 10_000


def test_another_holders_bank_does_not_touch_this_holders_episode(sounds):
    index = index_with(sounds, ExcludedTrack(7, sounds["bgm_track"], HOLDER_B.holder))
    assert hits(index, sounds["bgm_query"])[0] > 100 and index.shared_sound() == []


@pytest.mark.parametrize("other", [HOLDER_B, Owner(HOLDER_A.holder, 11)], ids=["other holder", "other work"])
def test_music_heard_in_another_works_episode_is_flagged_and_excluded(sounds, other):
    index = index_with(sounds, other=other)
    # what is left is music under the other work's voice: a few chance-level hits, no claim
    assert hits(index, sounds["bgm_query"], 1)[0] < 16 and hits(index, sounds["bgm_query"], 2)[0] < 16
    assert {(f.episode_id, f.source, f.source_id) for f in index.shared_sound()} == {
        (1, "episode", 2), (2, "episode", 1)}
    assert hits(index, sounds["copy_query"])[1] > 100


def test_a_theme_song_the_voice_detector_takes_for_dialogue_is_not_evidence(sounds):
    """Sung lines are "speech" to a VAD; a theme both episodes of one work open with is still not
    proof of which episode was copied (the common-hash cut, off here as in a large library, would
    not catch it)."""
    from matcher.audio import AudioMatchParams

    theme = soundtrack(music(seed=22, seconds=6), [(0.5, speech("Love me tonight, love me forever, my darling."))])
    tail = [(1.0, speech("Nobody at the party knows who he really is.")),
            (1.0, speech("The contract was signed three years ago in this very room."))]
    eps = [prints(np.concatenate([theme, soundtrack(music(seed=23 + k, seconds=8), [line])]))
           for k, line in enumerate(tail)]
    query = [(1.0, prints(theme, tagged=False))]
    assert all(fp.dialogue().any() for fp in eps)
    index = AudioIndex(AudioMatchParams(common_share=1.0))
    for k, fp in enumerate(eps):
        index.add(k + 1, fp, Owner(HOLDER_A.holder, HOLDER_A.work))
    flags = {(f.episode_id, f.source_id) for f in index.shared_sound()}
    assert flags == {(1, 2), (2, 1)}
    assert all(m.dialogue_hits < 20 for m in index.match(query))
    copy = index.match([(1.0, prints(np.concatenate([theme, soundtrack(music(seed=23, seconds=8), [tail[0]])]),
                                     tagged=False))])
    assert copy[0].episode_id == 1 and copy[0].dialogue_hits > 100  # the episode's own lines still claim
