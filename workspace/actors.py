"""Who acts on the workspace: a person as the web presents them, or the operator at the shell."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.auth import Role


class Actor(Protocol):
    """Who acts (the web's ``Principal``): their e-mail goes into the audit log, ``scope`` limits
    what they reach (``None``: every tenant, admins only)."""

    user_id: int
    email: str
    role: Role
    holder_id: int | None

    @property
    def scope(self) -> int | None: ...


@dataclass(frozen=True)
class Operator:
    """The server's operator at its shell (the CLI): every tenant, recorded as ``cli``."""

    user_id: int = 0
    email: str = "cli"
    role: Role = Role.ADMIN
    holder_id: int | None = None
    scope: int | None = None


OPERATOR = Operator()
