"""Who did it: the audit trail every ledger entry carries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The principal behind an operation, in the role it acted in, and its request id."""

    user_id: str
    role: str
    request_id: str | None = None


SYSTEM = Actor(user_id="system", role="system")
