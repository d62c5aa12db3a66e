"""The one role table: what each role may read and change, within its own tenant.

Every API route and page asks for a capability, never for a list of roles, so adding a role or
moving a right is one edit here; templates ask the same table (``can``) to hide what a role may
not do. Tenancy is separate and uniform: rights-holder and legal users see their own tenant
only (``Principal.scope``), admins every tenant.
"""
from __future__ import annotations

from enum import StrEnum

from storage.auth import Role


class Cap(StrEnum):
    READ = "read"  # works, cases, notices, allowlist, rules of the own tenant
    MANAGE_WORKS = "manage_works"  # create and edit works, upload episodes
    REVIEW = "review"  # the review queue, approve / reject (also in bulk)
    MANAGE_RULES = "manage_rules"  # licensed accounts, policy rules, excluded intervals
    DISPUTES = "disputes"  # record counter-notices, decide withdraw / court
    EXPORT = "export"  # CSV of cases
    MANAGE_USERS = "manage_users"  # users, roles, tenants (admins only: users span tenants)


ROLE_CAPS: dict[Role, frozenset[Cap]] = {
    Role.RIGHTS_HOLDER: frozenset({Cap.READ, Cap.MANAGE_WORKS, Cap.MANAGE_RULES, Cap.EXPORT}),
    Role.LEGAL: frozenset({Cap.READ, Cap.REVIEW, Cap.MANAGE_RULES, Cap.DISPUTES, Cap.EXPORT}),
    Role.ADMIN: frozenset(Cap),
}


def can(role: Role | str, cap: Cap | str) -> bool:
    return Cap(cap) in ROLE_CAPS[Role(role)]


def roles_with(cap: Cap) -> tuple[Role, ...]:
    """The roles holding ``cap``, in the enum's order (for dependencies and the test matrix)."""
    return tuple(role for role in Role if cap in ROLE_CAPS[role])
