"""Small builders for ledger tests."""

from __future__ import annotations

from pointsmall.domain.actors import Actor
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account

RULES = LedgerRules()
SERVICE = Actor(user_id="shop", role="service", request_id="req-test")
ADMIN = Actor(user_id="ops-1", role="admin", request_id="req-test")


def request(
    key: str | None = None,
    *,
    reason: str | None = "test",
    actor: Actor = SERVICE,
    reference: str | None = None,
) -> LedgerRequest:
    return LedgerRequest(actor=actor, idempotency_key=key, reason=reason, reference=reference)


async def account(user: str = "u1") -> Account:
    return await open_account(user)


async def reload(account_row: Account) -> Account:
    return await Account.get(id=account_row.id)
