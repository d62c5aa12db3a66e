"""Fusing the video and the audio evidence for one (query, reference) pair.

The two signals fail independently (a covered picture keeps its sound; a muted copy keeps its
picture), so the fused score is a noisy-or of the picture's score and the sound's, the latter put
on the picture's scale first (piecewise linear: the audio threshold lands on the video threshold).
But sound is only the work's own when it is dialogue: the same background music is in countless
unrelated videos, and a desk would reject a notice that rests on it ("this is only the music").
So the score may reach ``video_threshold`` (the notice point) only when

- the picture alone reaches it, or
- dialogue does: the dialogue hits alone score ``audio_threshold``, span ``min_dialogue_ms`` of
  the reference, and keep the reference's dialogue about as well as its music (music under a
  line of dialogue puts some landmarks of a video that shares only the music into dialogue
  stretches: measured 2-3 % of the dialogue against 58-62 % of the music, where a copy keeps
  both alike), in time with the picture where there is one.

Any other combination that would cross the notice point (music alone, music lifting a weak
picture) is held just below it, in the review band, labelled with what it rests on ("audio only").
Audio and picture that disagree in time (the sound from another moment than the picture) are
not one copy, so they do not add up: the picture stands alone. A match is ``confirmed`` when
both signals clear their own thresholds in time with each other.
"""
from __future__ import annotations

from dataclasses import dataclass

from matcher.audio import AudioMatch

PICTURE, DIALOGUE, MUSIC = "picture", "dialogue", "music"
AUDIO_ONLY, MUSIC_WITH_WEAK_PICTURE = "audio only", "music with a weak picture"


@dataclass(frozen=True)
class FusionParams:
    video_threshold: float  # the notice point (``notify_score``)
    audio_threshold: float  # the sound's own confirmation score
    min_dialogue_ms: int = 4000  # dialogue aligned over at least this much reference time
    min_dialogue_rate: float = 0.05  # share of the reference's dialogue landmarks heard
    dialogue_vs_music: float = 0.3  # … and at least this fraction of the music's share
    agree_ms: float = 1500.0  # picture and sound placing the copy this close agree in time
    review_margin: float = 0.01  # a held score sits this far below the notice point


@dataclass(frozen=True)
class FusedScore:
    score: float
    video: float | None
    audio: float | None
    confirmed: bool  # both signals independently above their thresholds, in time
    signals: tuple[str, ...] = ()  # what agreed: picture, dialogue, music
    carried_by: tuple[str, ...] = ()  # what lets it claim (empty: it may not)
    review: str | None = None  # why it is held below the notice point (AUDIO_ONLY, …)
    disagree: bool = False  # sound found elsewhere in time than the picture: not added

    @property
    def claim(self) -> bool:
        return bool(self.carried_by)


def calibrate(audio: float, *, audio_threshold: float, video_threshold: float) -> float:
    """Map an audio score to the video scale: 0 → 0, audio threshold → video threshold, 1 → 1."""
    if audio <= audio_threshold:
        return video_threshold * audio / audio_threshold if audio_threshold > 0 else 1.0
    return video_threshold + (1 - video_threshold) * (audio - audio_threshold) / (1 - audio_threshold)


def in_time(audio: AudioMatch, video_at: tuple[float, float], agree_ms: float) -> bool:
    """Does the sound's line (ref = offset + speed·query) pass through the picture's (query ms,
    ref ms) point?"""
    query_ms, ref_ms = video_at
    return abs(audio.offset_ms + audio.speed * query_ms - ref_ms) <= agree_ms


def fuse(
    video: float | None,
    audio: AudioMatch | None,
    params: FusionParams,
    *,
    video_at: tuple[float, float] | None = None,
) -> FusedScore:
    """``video_at``: a (query ms, reference ms) point on the picture's aligned line."""
    threshold = params.video_threshold
    v = video or 0.0
    picture = (PICTURE,) if video is not None else ()
    claim_by_picture = (PICTURE,) if video is not None and v >= threshold else ()
    if audio is None:
        return FusedScore(v, video, None, False, picture, claim_by_picture)
    if video is not None and video_at is not None and not in_time(audio, video_at, params.agree_ms):
        return FusedScore(v, video, audio.score, False, picture, claim_by_picture, disagree=True)

    def on_scale(score: float) -> float:
        return calibrate(score, audio_threshold=params.audio_threshold, video_threshold=threshold)

    spoken = (
        audio.dialogue_score >= params.audio_threshold
        and audio.dialogue_ms >= params.min_dialogue_ms
        and audio.dialogue_rate >= max(params.min_dialogue_rate, params.dialogue_vs_music * audio.music_rate)
    )
    heard = ((DIALOGUE,) if audio.dialogue_hits else ()) + ((MUSIC,) if audio.hits > audio.dialogue_hits else ())
    score = 1.0 - (1.0 - v) * (1.0 - on_scale(audio.score))
    confirmed = video is not None and v >= threshold and audio.score >= params.audio_threshold
    carried_by = claim_by_picture
    if spoken and 1.0 - (1.0 - v) * (1.0 - on_scale(audio.dialogue_score)) >= threshold:
        carried_by = picture + (DIALOGUE,)
    review = None
    if not carried_by and score >= threshold:
        score = threshold - params.review_margin
        review = AUDIO_ONLY if video is None else MUSIC_WITH_WEAK_PICTURE
    return FusedScore(score, video, audio.score, confirmed, picture + heard, carried_by, review)
