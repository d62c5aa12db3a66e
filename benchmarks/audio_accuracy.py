"""Audio figures: claims at the notice point on a picture + sound set, and landmark recall.

Default: the claim benchmark (``benchmarks.audio_claims``: pictures from the shared dev clips,
synthesized music under espeak-ng dialogue in ten voices/languages). Registers five episodes of
three works (two holders; two works share a stock track), scans every query through
``Services.scan_file`` and prints, at ``notify_score``, claim precision and recall per query kind,
claims made from shared music, matches held for review as "audio only", and which signals carried
each claim; then again after the holders put the stock track in the music exclusion bank.

``--landmarks``: the landmark-level figures of the audio index alone (``benchmarks.audio_set``:
AAC re-encodes, noise, resampling speed-ups, excerpts, a black-picture copy, muted copies and
distractors), recall per edit and false positives at ``audio_confirm_score``.

    .venv/bin/python -m benchmarks.audio_accuracy [--bench ../shared/bench] [--keep DIR] [--landmarks]
"""
from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

from benchmarks.audio_set import build
from dramaguard.settings import Settings
from fingerprint.audio import fingerprint_audio, query_views
from matcher.audio import AudioIndex

REPO = Path(__file__).resolve().parent.parent


def claims(folder: Path, bench: Path) -> None:
    from benchmarks.audio_claims import build as build_claims
    from indexing import music_bank
    from indexing.catalogue import Services

    start = time.perf_counter()
    episodes, queries, stock = build_claims(folder / "media", bench)
    print(f"== claim set: {len(episodes)} episodes, {len(queries)} queries "
          f"(built in {time.perf_counter() - start:.0f} s)")
    with Services.open(Settings(home=folder / "home")) as services:
        notify = services.settings.matcher.notify_score
        for (work, holder) in dict.fromkeys((e.work, e.holder) for e in episodes):
            paths = [e.path for e in episodes if (e.work, e.holder) == (work, holder)]
            assert all(r.created for r in services.register_files(paths, work=work, holder=holder))
        print(f"shared sound flagged (bank, other episodes): {len(services.audio.index.shared_sound())} stretches")
        _score(services, queries, notify, "no music bank")
        for holder in sorted({e.holder for e in episodes if e.music == "stock"}):
            music_bank.add_track(services, stock, holder_id=music_bank.holder_id(services, holder), title="stock BGM")
        _score(services, queries, notify, "stock track in both holders' music bank")


def _score(services, queries, notify: float, title: str) -> None:
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    carried: collections.Counter = collections.Counter()
    made = right = from_music = held = 0
    start = time.perf_counter()
    for q in queries:
        report = services.scan_file(q.path, min_score=0.0)
        claimed = [m for m in report.matches if m.score >= notify]
        held += sum(m.review is not None for m in report.matches)
        made += len(claimed)
        good = [m for m in claimed if q.episode is not None and m.reference == q.episode.name]
        right += len(good)
        from_music += len(claimed) - len(good) if q.episode is None or q.kind == "commentary" else 0
        carried.update("+".join(m.carried_by) for m in good)
        ok = bool(good) if q.episode is not None else not claimed
        per[q.kind][0] += ok
        per[q.kind][1] += 1
    positives = [q for q in queries if q.episode is not None]
    found = sum(per[k][0] for k in {q.kind for q in positives})
    print(f"-- {title} (notify_score {notify}; scans {time.perf_counter() - start:.0f} s)")
    print("per kind (copies: claimed on the right episode; others: no claim at all):")
    for kind, (ok, n) in per.items():
        print(f"  {kind:18s} {ok:3d}/{n:<3d} {ok / n:.3f}")
    print(f"claim precision {right}/{made} = {right / max(made, 1):.3f}; "
          f"recall {found}/{len(positives)} = {found / len(positives):.3f}")
    print(f"claims from shared music: {from_music}; matches held for review: {held}")
    print(f"claims carried by: {dict(carried)}")


def landmarks(folder: Path, seed: int) -> None:
    threshold = Settings().matcher.audio_confirm_score
    refs, cases = build(folder, seed)
    index = AudioIndex()
    start = time.process_time()
    for episode_id, ref in enumerate(refs):
        index.add(episode_id, fingerprint_audio(ref))
    ref_cpu = time.process_time() - start
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    false_pos, worst_negative, query_cpu = [], (0.0, ""), 0.0
    for case in cases:
        start = time.process_time()
        matches = index.match(query_views(case.query))
        query_cpu += time.process_time() - start
        hits = [refs[m.episode_id] for m in matches if m.score >= threshold]
        if case.reference is None:
            false_pos += [(case.query.name, h.name) for h in hits]
            top = max((m.score for m in matches), default=0.0)
            worst_negative = max(worst_negative, (top, case.query.name))
            per[case.transform][0] += not hits
        else:
            wrong = [h for h in hits if h != case.reference]
            false_pos += [(case.query.name, h.name) for h in wrong]
            per[case.transform][0] += case.reference in hits
            top = max((m.score for m in matches if refs[m.episode_id] != case.reference), default=0.0)
            worst_negative = max(worst_negative, (top, f"{case.query.name} vs another ref"))
        per[case.transform][1] += 1
    print(f"== audio set: {len(refs)} references, {len(cases)} queries, threshold {threshold}")
    print("per-edit result (copies: found; muted/distractor: correctly matched nothing):")
    for name, (ok, n) in sorted(per.items()):
        print(f"  {name:22s} {ok:3d}/{n:<3d} {ok / n:.3f}")
    print(f"false positives at threshold: {len(false_pos)} {false_pos}")
    print(f"highest score of a wrong pair: {worst_negative[0]:.3f} ({worst_negative[1]})")
    print(f"CPU: references {ref_cpu:.2f} s, queries (all speed views + lookup) {query_cpu:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--keep", type=Path, help="write the generated media (and home) here")
    parser.add_argument("--seed", type=int, default=7, help="seed of the --landmarks set")
    parser.add_argument("--landmarks", action="store_true", help="landmark figures of the audio index alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        if args.landmarks:
            landmarks(folder, args.seed)
        else:
            claims(folder, args.bench)


if __name__ == "__main__":
    main()
