"""One holder per store: a lease row in the database itself, fenced by a PostgreSQL advisory lock.

The daemon takes the ``store`` lease at start and renews it with its heartbeat; ``index retrain``
and ``restore`` take the same lease for their run, so none of them can run beside another on one
database. A holder that crashes stops renewing: its lease expires after ``ttl_s`` and the next
taker takes it over (a compare-and-swap on the old holder and expiry, so two takers cannot both
win). On PostgreSQL a session advisory lock is held for the lease's life as well: the server drops
it the moment the holder's connection dies, so a crashed holder is taken over at once instead of
after the expiry, and a live holder is never taken over however late its heartbeat.
"""
from __future__ import annotations

import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Integer, String, delete, inspect, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from storage.base import Base, UTCDateTime, utcnow
from storage.db import transaction

STORE = "store"
#: pg_try_advisory_lock key: "DrGd" — any constant other tools on the server do not use.
ADVISORY_KEY = 0x44724764


class StoreLease(Base):
    """Who holds the store: one row per lease name; ``holder`` is a random token per taker."""

    __tablename__ = "store_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(50), doc="daemon | index retrain | restore")
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class LeaseInfo:
    purpose: str
    pid: int
    host: str
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime

    def describe(self, now: datetime | None = None) -> str:
        now = now or utcnow()
        beat = max(0.0, (now - self.heartbeat_at).total_seconds())
        left = (self.expires_at - now).total_seconds()
        expiry = f"expires in {left:.0f} s" if left > 0 else "held by a live database session"
        return (f"{self.purpose} (pid {self.pid} on {self.host}) holds this store since "
                f"{self.acquired_at:%Y-%m-%d %H:%M:%S} UTC, last heartbeat {beat:.0f} s ago, {expiry}")


class StoreBusy(Exception):
    """Another process holds the store; ``info`` says who (None: a PostgreSQL lock, no row yet)."""

    def __init__(self, info: LeaseInfo | None, wanted: str):
        self.info, self.wanted = info, wanted
        who = info.describe() if info else "another process holds this store's PostgreSQL lock"
        super().__init__(f"cannot start {wanted}: {who}; stop it first (or wait for its lease to "
                         "expire if it crashed)")


def _info(row: StoreLease) -> LeaseInfo:
    return LeaseInfo(row.purpose, row.pid, row.host, row.acquired_at, row.heartbeat_at,
                     row.expires_at)


def try_acquire(
    holder: str, purpose: str, ttl_s: float, *, session: Session, name: str = STORE,
    take_over: bool = False, now: datetime | None = None,
) -> LeaseInfo | None:
    """Take the lease (None) or say who holds it; ``take_over`` ignores a live row's expiry."""
    now = now or utcnow()
    fields = dict(holder=holder, purpose=purpose, pid=os.getpid(), host=socket.gethostname(),
                  acquired_at=now, heartbeat_at=now, expires_at=now + timedelta(seconds=ttl_s))
    row = session.get(StoreLease, name)
    if row is None:
        try:
            with session.begin_nested():
                session.add(StoreLease(name=name, **fields))
            return None
        except IntegrityError:  # another taker inserted first
            session.expire_all()
            row = session.get(StoreLease, name)
            return _info(row) if row is not None else LeaseInfo(purpose, 0, "?", now, now, now)
    if row.holder != holder and row.expires_at > now and not take_over:
        return _info(row)
    swapped = session.execute(
        update(StoreLease)
        .where(StoreLease.name == name, StoreLease.holder == row.holder,
               StoreLease.expires_at == row.expires_at)
        .values(**fields)
        .execution_options(synchronize_session=False)
    ).rowcount
    if swapped == 1:
        return None
    session.expire_all()
    current = session.get(StoreLease, name)
    return _info(current) if current is not None else None


def renew(holder: str, ttl_s: float, *, session: Session, name: str = STORE) -> bool:
    """Extend our lease; False when it is no longer ours (it expired and was taken over)."""
    now = utcnow()
    return session.execute(
        update(StoreLease).where(StoreLease.name == name, StoreLease.holder == holder)
        .values(heartbeat_at=now, expires_at=now + timedelta(seconds=ttl_s))
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def release(holder: str, *, session: Session, name: str = STORE) -> None:
    session.execute(delete(StoreLease).where(StoreLease.name == name, StoreLease.holder == holder))


def holder_of(*, session: Session, name: str = STORE, now: datetime | None = None) -> LeaseInfo | None:
    """The live holder, if any (an expired row counts as free)."""
    row = session.get(StoreLease, name)
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return _info(row)


def live_holder(engine: Engine) -> LeaseInfo | None:
    """Who holds the store behind ``engine`` now, without taking it (None: nobody, or no table)."""
    if not inspect(engine).has_table(StoreLease.__tablename__):
        return None
    with Session(engine) as session:
        return holder_of(session=session)


class Lease:
    """The store lease of this process: ``acquire`` (raises :class:`StoreBusy`), ``renew``,
    ``release``; a context manager for one-shot commands."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session], *, purpose: str,
                 ttl_s: float = 30.0):
        self.engine, self.sessions, self.purpose, self.ttl_s = engine, sessions, purpose, ttl_s
        self.holder = secrets.token_hex(16)
        self._pg: Connection | None = None
        self._stop_renewing = threading.Event()
        self._renewer: threading.Thread | None = None
        self.held = False

    def acquire(self) -> None:
        take_over = False
        if self.engine.dialect.name == "postgresql":
            self._pg = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if not self._pg.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}):
                self._close_pg()
                with transaction(self.sessions) as session:
                    raise StoreBusy(self._row(session), self.purpose)
            take_over = True  # we hold the lock: whoever the row names is gone
        try:
            with transaction(self.sessions) as session:
                held = try_acquire(self.holder, self.purpose, self.ttl_s, session=session,
                                   take_over=take_over)
        except BaseException:
            self._close_pg()
            raise
        if held is not None:
            self._close_pg()
            raise StoreBusy(held, self.purpose)
        self.held = True

    def renew(self) -> bool:
        with transaction(self.sessions) as session:
            self.held = renew(self.holder, self.ttl_s, session=session)
        return self.held

    def release(self) -> None:
        try:
            if self.held:
                with transaction(self.sessions) as session:
                    release(self.holder, session=session)
        finally:
            self.held = False
            self._close_pg()

    def __enter__(self) -> Lease:
        """Hold the lease for a one-shot command, renewed in a thread every third of its TTL."""
        self.acquire()
        self._renewer = threading.Thread(target=self._keep_alive, name="store-lease", daemon=True)
        self._renewer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop_renewing.set()
        if self._renewer is not None:
            self._renewer.join()
        self.release()

    def _keep_alive(self) -> None:
        while not self._stop_renewing.wait(self.ttl_s / 3):
            self.renew()

    @staticmethod
    def _row(session: Session) -> LeaseInfo | None:
        row = session.get(StoreLease, STORE)
        return _info(row) if row is not None else None

    def _close_pg(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()  # closing the session's connection drops its advisory lock
            finally:
                self._pg = None
