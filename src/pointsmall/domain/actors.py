"""Who did it: the audit trail every ledger entry carries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The principal behind an operation, in the role it acted in, its request id, and
    where it came from: the app's device and the network address, as the keyed hashes
    the risk rules compare (never the values themselves)."""

    user_id: str
    role: str
    request_id: str | None = None
    device: str | None = None
    client: str | None = None


SYSTEM = Actor(user_id="system", role="system")
