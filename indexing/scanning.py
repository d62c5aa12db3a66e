"""Scanning: is a file a copy of something registered, which seconds of it, and whose leaked
copy (mixins of the catalogue: ``Matching`` of ``catalogue.CatalogueIndex``, ``Scanning`` of
``catalogue.Services``): the picture's matches, the sound fused in or matching
alone, claims resolved over shared footage, then the forensic watermark over the best match."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path


from fingerprint import DecodeError, VideoFingerprint, fingerprint_video
from indexing import claiming
from indexing.audio import fused_score
from indexing.reports import (MatchReport, ScanReport, audio_only_report, fused,
                              line_point, video_report)
from indexing.watermarking import leak_report
from matcher.crop_candidates import GRID_VERSION, Candidate, CropCandidates, CropGrid, describe_grid
from matcher.match import Match
from storage import references

log = logging.getLogger(__name__)
REFIT_CANDIDATES = 6  # partial matches per scan whose crop is fitted, best first
REFIT_BELOW_COVERAGE = 0.85  # a match covering more of the copy has nothing to gain
CROP_CANDIDATES = 3  # episodes the crop-grid index proposes when nothing else covers the copy


class Matching:
    """A fingerprint against the index: reads the catalogue's ``settings``, ``fp_params``,
    ``matcher``, ``audio``, ``shared_footage`` and ``_catalogue``."""

    # the crop grid: per episode described once (and stored beside its keyframes), the index
    # over all of them rebuilt from those when the catalogue changes
    _crop_grids: dict[int, CropGrid] | None = None
    _crop_index: tuple[frozenset[int], CropCandidates] | None = None

    def report(self, path: Path, fp: VideoFingerprint, *, min_score: float) -> ScanReport:
        """Match an already fingerprinted file: picture, then sound fused in, then the watermark."""
        inliers: dict[int, tuple] = {}
        matches = self.match_fingerprint(fp, min_score=0.0, inliers=inliers)
        matches = self._with_audio(path, fp.duration_ms, matches)
        matches = claiming.resolve_reports(matches, inliers=inliers, shared=self.shared_footage,
                                           step_ms=self.fp_params.interval_ms, params=self.matcher.params)
        matches = [m for m in matches if m.score >= min_score]
        return ScanReport(str(path), matches, watermark=leak_report(self.settings, path, matches))

    def _with_audio(self, path: Path, query_ms: int, matches: list[MatchReport]) -> list[MatchReport]:
        """Fuse the sound's evidence into the picture's matches; add matches found by sound only."""
        try:
            heard = {m.episode_id: m for m in self.audio.match(path)}
        except DecodeError as exc:
            log.warning("audio not matched: %s", exc)
            heard = {}
        out = []
        for report in matches:
            fusion = fused_score(report.score, heard.pop(report.episode_id, None), self.settings.matcher,
                                 video_at=line_point(report))
            fused(report, fusion)
            out.append(report)
        for episode_id, audio in heard.items():
            if episode_id in self._catalogue:
                out.append(self._audio_only_report(audio, query_ms))
        return sorted(out, key=lambda m: -m.score)

    def _audio_only_report(self, audio, query_ms: int) -> MatchReport:
        """A match heard but not seen (picture hidden or covered): spans from the audio offset."""
        fusion = fused_score(None, audio, self.settings.matcher)
        return fused(audio_only_report(audio, self._catalogue[audio.episode_id], query_ms, fusion.score), fusion)

    def match_fingerprint(self, fp: VideoFingerprint, *, min_score: float,
                          inliers: dict[int, tuple] | None = None) -> list[MatchReport]:
        durations = {e: int(info[4] * 1000) for e, info in self._catalogue.items()}
        reports = []
        weak: dict = {}
        found = self.matcher.match(fp, durations, step_ms=self.fp_params.interval_ms, weak=weak)
        for match in self._refitted(fp, found, weak, durations):
            if match.score < min_score or match.episode_id not in self._catalogue:
                continue
            reports.append(video_report(match, self._catalogue[match.episode_id]))
            if inliers is not None:
                inliers[match.episode_id] = match.alignment.inliers
        return reports

    def _refitted(self, fp: VideoFingerprint, matches: list, weak: dict, durations: dict[int, int]) -> list:
        """The best few partial matches again with the copy's crop fitted on the episode's stored
        keyframes (``QueryMatcher.refit``): a crop no stored view has the extent of matches only
        in pieces, often only on the intro its series shares."""
        notify = self.settings.matcher.notify_score

        def whole(m) -> bool:  # the copy, or the episode, found whole: the rest are look-alikes
            a = m.alignment
            return max(a.query_coverage, a.ref_coverage) >= REFIT_BELOW_COVERAGE and m.score >= notify

        covered = any(whole(m) for m in matches)
        if not covered:  # lines of hits too weak to be evidence: a crop with no match at all
            matches = matches + self.matcher.weak_lines(fp, weak, durations, step_ms=self.fp_params.interval_ms,
                                                        exclude={m.episode_id for m in matches})
        out, tried, fitted = [], 0, set()
        for match in matches:
            refit = None
            # a weak line, a match of part of the copy, or one too weak for a notice
            partial = match.score < notify or match.alignment.query_coverage < REFIT_BELOW_COVERAGE
            if not covered and tried < REFIT_CANDIDATES and partial:
                tried += 1
                refit = self._refit(fp, match, durations)
                covered = refit is not None and whole(refit)
                if refit is not None:
                    fitted.add(match.episode_id)
            if refit is not None or match.score > 0:  # a weak line is only worth its refit
                out.append(refit or match)
        if not covered:  # no hit at all on the crop's episode: the crop grid proposes where to fit
            # an episode matched only on its series' shared intro was refitted along lines
            # through the intro, from the fixed starting boxes; the grid's line and box may fit
            for candidate in self._crop_candidates(fp, exclude=fitted):
                refit = self._refit(fp, candidate.as_match(), durations, starts=(candidate.box,))
                if refit is not None:
                    out = [m for m in out if m.episode_id != refit.episode_id] + [refit]
                    if whole(refit):
                        break
        return sorted(out, key=lambda m: -m.score)

    def _refit(self, fp: VideoFingerprint, match: Match, durations: dict[int, int],
               starts: tuple = ()) -> Match | None:
        """``match`` with the copy's crop fitted on the episode's stored keyframes."""
        keyframes = references.load_keyframes(self.settings.home, match.episode_id)
        return self.matcher.refit(fp, match, keyframes, durations, step_ms=self.fp_params.interval_ms, starts=starts)

    def _crop_candidates(self, fp: VideoFingerprint, *, exclude: set[int]) -> list[Candidate]:
        """Episodes a crop may come from by the crop-grid index (``matcher.crop_candidates``),
        built on first need and again when the catalogue changes (only new episodes are read)."""
        if fp.views is None:
            return []
        full = fp.full_view()
        return self.crop_index().search(full.times_ms, full.vectors, exclude=exclude, limit=CROP_CANDIDATES)

    def crop_index(self) -> CropCandidates:
        """The crop-grid index of the catalogue as it is now (rebuilt when it changed, reading
        only the episodes it did not hold)."""
        episodes = frozenset(self._catalogue)
        if self._crop_index is None or self._crop_index[0] != episodes:
            known = self._crop_grids or {}
            self._crop_grids = {e: known[e] if e in known else self.crop_grid(e) for e in episodes}
            self._crop_index = (episodes, CropCandidates(self._crop_grids))
        return self._crop_index[1]

    def crop_grid(self, episode_id: int) -> CropGrid:
        """An episode's keyframes under the crop grid: stored at registration, or described from
        the keyframes now (and stored) for an episode registered before grids were kept."""
        home = self.settings.home
        stored = references.load_derived(home, episode_id, GRID_VERSION)
        if stored is not None and {"times", "boxes", "vectors"} <= stored.keys():
            return stored["times"], stored["boxes"], stored["vectors"]
        return self.keep_crop_grid(episode_id, describe_grid(references.load_keyframes(home, episode_id)))

    def keep_crop_grid(self, episode_id: int, grid: CropGrid) -> CropGrid:
        """Store an episode's crop grid (described in the registration's pool job, or by
        :meth:`crop_grid`) so that no scan describes it again."""
        try:
            references.save_derived(self.settings.home, episode_id, GRID_VERSION,
                                    times=grid[0], boxes=grid[1], vectors=grid[2])
        except OSError as exc:  # a cache only: the next scan describes it again
            log.warning("episode %d: crop grid not stored: %s", episode_id, exc)
        return grid


class Scanning:
    """Files against the index: fingerprints them (the catalogue's ``fp_params``, ``limits`` and
    ``fingerprint_many``), then matches them (:class:`Matching`)."""

    def scan_file(self, path: Path, *, min_score: float | None = None) -> ScanReport:
        """Is this file a copy of something registered? Decode errors come back in ``error``."""
        threshold = self.settings.matcher.min_score if min_score is None else min_score
        try:
            fp = fingerprint_video(Path(path), self.fp_params, self.limits)
        except DecodeError as exc:
            return ScanReport(str(path), [], str(exc))
        return self.report(Path(path), fp, min_score=threshold)

    def scan_files(self, paths: Iterable[Path], *, min_score: float | None = None) -> Iterator[ScanReport]:
        """Scan many files: fingerprinted on every core (or on Ray), matched here, in order."""
        threshold = self.settings.matcher.min_score if min_score is None else min_score
        for path, outcome in self.fingerprint_many([Path(p) for p in paths]):
            if isinstance(outcome, DecodeError):
                yield ScanReport(str(path), [], str(outcome))
            else:
                yield self.report(path, outcome.video, min_score=threshold)
