"""The music exclusion bank as a service: register, list and remove tracks that are "not ours",
and list what the matcher flagged as shared sound. Wiring only: what sharing means is
:mod:`matcher.music`.

A rights holder's entry applies to that holder's works; an admin's entry (no holder) to every
work. The in-memory audio index follows each change at once; other processes pick it up on their
next routine reconcile (:meth:`AudioLibrary.refresh`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select

from fingerprint import DecodeError
from fingerprint.audio import fingerprint_audio
from matcher.music import ExcludedTrack, SharedSound
from storage import audio as store
from storage.db import transaction
from storage.models import RightsHolder

log = logging.getLogger(__name__)


class MusicBankError(Exception):
    """A track could not be added or found (no sound, unknown holder, not yours)."""

    expected = True


class UnknownHolder(MusicBankError):
    """The named rights holder does not exist."""


@dataclass(frozen=True)
class BankEntry:
    id: int
    title: str
    holder: str | None  # None: excluded for every holder
    duration_s: float
    landmarks: int
    sha256: str
    created_by: str


def _entry(row: store.MusicExclusion, holder: str | None) -> BankEntry:
    return BankEntry(row.id, row.title, holder, row.duration_ms / 1000, len(row.hashes) // 8, row.sha256,
                     row.created_by)


def holder_id(services, holder: str | None) -> int | None:
    """The id of the holder named ``holder`` (None stays None: every holder)."""
    if holder is None:
        return None
    with transaction(services.sessions) as session:
        row = session.scalar(select(RightsHolder).where(RightsHolder.name == holder))
        if row is None:
            raise UnknownHolder(f"no rights holder named '{holder}'")
        return row.id


def add_track(services, path: Path, *, holder_id: int | None, title: str | None = None,
              actor: str = "cli") -> BankEntry:
    """Fingerprint a music file and exclude it for the holder's works (None: for every work)."""
    from indexing.fingerprinting import sha256_file

    path = Path(path)
    try:
        fp = fingerprint_audio(path, speech=None)
    except DecodeError as exc:
        raise MusicBankError(str(exc)) from exc
    if len(fp) == 0:
        raise MusicBankError(f"{path}: no sound to exclude (no audio stream, or silence)")
    sha, _ = sha256_file(path)
    with transaction(services.sessions) as session:
        holder_row = session.get(RightsHolder, holder_id) if holder_id is not None else None
        if holder_id is not None and holder_row is None:
            raise UnknownHolder(f"no rights holder {holder_id}")
        row = store.add_music_exclusion(fp, title=title or path.name, sha256=sha, holder=holder_row,
                                        created_by=actor, session=session)
        entry = _entry(row, holder_row.name if holder_row else None)
    services.audio.exclude(ExcludedTrack(entry.id, fp, holder_id))
    log.info("music bank: track %d '%s' excluded for %s", entry.id, entry.title, entry.holder or "every holder")
    return entry


def list_tracks(services, *, holder_id: int | None = None) -> list[BankEntry]:
    """A holder's entries and the admin's for all; without ``holder_id``, the whole bank."""
    with transaction(services.sessions) as session:
        names = dict(session.execute(select(RightsHolder.id, RightsHolder.name)).all())
        return [_entry(row, names.get(row.holder_id)) for row in
                store.music_exclusions(session=session, holder_id=holder_id)]


def remove_track(services, track_id: int, *, holder_id: int | None = None) -> None:
    """Remove an entry; with ``holder_id``, only one of that holder's own (not the admin's)."""
    with transaction(services.sessions) as session:
        row = session.get(store.MusicExclusion, track_id)
        if row is None or (holder_id is not None and row.holder_id != holder_id):
            raise MusicBankError(f"no music bank entry {track_id}" + (" of yours" if holder_id else ""))
        session.delete(row)
    services.audio.forget(track_id)


def shared_sound(services, *, holder_id: int | None = None) -> list[SharedSound]:
    """The flags: stretches of registered episodes heard in a bank track or another work (with
    ``holder_id``, only that holder's episodes)."""
    flags = services.audio.index.shared_sound()
    if holder_id is None:
        return flags
    owners = services.audio.index.owners()
    mine = {e for e, owner in owners.items() if owner.holder == holder_id}
    # another holder's episode is not named to this one (rights holders see only their own data)
    return [f if f.source != "episode" or f.source_id in mine else replace(f, source="another holder", source_id=0)
            for f in flags if f.episode_id in mine]
