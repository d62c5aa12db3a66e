"""A work's rules for its matches: policy rules (which action a match earns), allowlists
(licensed accounts, channels, domains) and excluded intervals (reference time that is never
evidence, such as shared credits). Read by the casework before a case opens or a notice goes out."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from notices.allowlist import AllowEntry, AllowKind
from notices.policy import Action, PolicyRule
from storage.base import Base
from storage.models import Work


class PolicyRuleRow(Base):
    __tablename__ = "policy_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    action: Mapped[str] = mapped_column(String(10))
    min_matched_s: Mapped[float] = mapped_column(Float, default=0.0)
    min_query_share: Mapped[float] = mapped_column(Float, default=0.0)
    min_ref_share: Mapped[float] = mapped_column(Float, default=0.0)
    min_score: Mapped[float] = mapped_column(Float, default=0.0)
    platforms: Mapped[list[str]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(200), default="")

    def to_rule(self) -> PolicyRule:
        return PolicyRule(
            Action(self.action), priority=self.priority, min_matched_s=self.min_matched_s,
            min_query_share=self.min_query_share, min_ref_share=self.min_ref_share,
            min_score=self.min_score, platforms=frozenset(self.platforms or ()),
            name=self.name or f"rule {self.id}",
        )


class AllowlistEntry(Base):
    """A licensed account, channel or domain, for one work or all of a holder's works."""

    __tablename__ = "allowlist_entries"
    __table_args__ = (
        CheckConstraint("(holder_id IS NULL) != (work_id IS NULL)", name="one_scope"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("rights_holders.id", ondelete="CASCADE"), index=True
    )
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(500))
    platform: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str] = mapped_column(String(500), default="")


class ExcludedInterval(Base):
    """Reference time that never counts as evidence (credits shared across episodes)."""

    __tablename__ = "excluded_intervals"
    __table_args__ = (CheckConstraint("end_ms > start_ms", name="ordered"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"),
                                            index=True)
    start_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")


def add_policy_rule(session: Session, *, work_id: int, rule: PolicyRule) -> PolicyRuleRow:
    row = PolicyRuleRow(work_id=work_id, priority=rule.priority, action=rule.action.value,
                        min_matched_s=rule.min_matched_s, min_query_share=rule.min_query_share,
                        min_ref_share=rule.min_ref_share, min_score=rule.min_score,
                        platforms=sorted(rule.platforms), name=rule.name)
    session.add(row)
    session.flush()
    return row


def policy_rules(session: Session, *, work_id: int) -> list[PolicyRule]:
    rows = session.scalars(select(PolicyRuleRow).where(PolicyRuleRow.work_id == work_id))
    return [row.to_rule() for row in rows]


def add_allow_entry(session: Session, entry: AllowEntry, *, work_id: int | None = None,
                    holder_id: int | None = None) -> AllowlistEntry:
    if (work_id is None) == (holder_id is None):
        raise ValueError("give exactly one of work_id or holder_id")
    row = AllowlistEntry(work_id=work_id, holder_id=holder_id, kind=entry.kind.value,
                         value=entry.value, platform=entry.platform, note=entry.note)
    session.add(row)
    session.flush()
    return row


def allow_entries(session: Session, *, work: Work) -> list[AllowEntry]:
    """Entries for the work and its holder, plus the work's ``licensed_accounts``."""
    rows = session.scalars(select(AllowlistEntry).where(
        (AllowlistEntry.work_id == work.id) | (AllowlistEntry.holder_id == work.holder_id)))
    entries = [AllowEntry(AllowKind(r.kind), r.value, r.platform, r.note) for r in rows]
    entries += [AllowEntry(AllowKind.ACCOUNT, account, note="work.licensed_accounts")
                for account in work.licensed_accounts or ()]
    return entries


def add_excluded_interval(session: Session, *, episode_id: int, start_ms: int, end_ms: int,
                          reason: str = "") -> ExcludedInterval:
    row = ExcludedInterval(episode_id=episode_id, start_ms=start_ms, end_ms=end_ms, reason=reason)
    session.add(row)
    session.flush()
    return row


def excluded_intervals(session: Session, *,
                       episode_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    out: dict[int, list[tuple[int, int]]] = {i: [] for i in episode_ids}
    rows = session.scalars(select(ExcludedInterval).where(
        ExcludedInterval.episode_id.in_(episode_ids)))
    for row in rows:
        out[row.episode_id].append((row.start_ms, row.end_ms))
    return out
