"""grantPoints (service); adjustPoints, forfeitPoints, reverseEntry (admin)."""

from __future__ import annotations

from typing import Any

from pointsmall.auth import Role
from pointsmall.domain import events
from pointsmall.domain.ledger import corrections, entries, reversals
from pointsmall.domain.ledger.accounts import find_account, open_account
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.models import Account as AccountModel
from pointsmall.models import Entry
from pointsmall.resolvers.access import account_type, mutate, require
from pointsmall.schema.context import Info
from pointsmall.schema.ledger import LedgerEntry
from pointsmall.schema.ledger_mutations import (
    AdjustPointsInput,
    AdjustPointsPayload,
    ForfeitPointsInput,
    ForfeitPointsPayload,
    GrantPointsInput,
    GrantPointsPayload,
    ReverseEntryInput,
    ReverseEntryPayload,
)
from pointsmall.schema.node import parse_global_id


async def _entry_and_account(info: Info, entry: Entry) -> dict[str, Any]:
    account = await AccountModel.get(id=entry.account_id)
    return {"entry": LedgerEntry.from_model(entry), "account": account_type(info, account)}


async def grant_points(info: Info, input: GrantPointsInput) -> GrantPointsPayload:
    """Credit a user's points; opens the account of a user we have not seen yet."""
    require(info, Role.SERVICE)

    async def work() -> dict[str, Any]:
        request = LedgerRequest(
            actor=info.context.actor(Role.SERVICE),
            idempotency_key=entries.caller_key("grant", input.idempotency_key),
            reason=input.reason,
        )
        request.require_reason()
        async with events.atomic():  # a refused grant opens no account either
            account = await open_account(input.user_id)
            entry = await entries.earn(
                account.id,
                input.amount,
                request,
                info.context.runtime.rules,
                available_at=input.available_at,
                expires_at=input.expires_at,
            )
        return await _entry_and_account(info, entry)

    return await mutate(GrantPointsPayload, work)


async def adjust_points(info: Info, input: AdjustPointsInput) -> AdjustPointsPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        account = await find_account(input.user_id)
        entry = await corrections.adjust(
            account.id,
            input.amount,
            _admin_request(info, "adjust", input.idempotency_key, input.reason),
            info.context.runtime.rules,
        )
        return await _entry_and_account(info, entry)

    return await mutate(AdjustPointsPayload, work)


async def forfeit_points(info: Info, input: ForfeitPointsInput) -> ForfeitPointsPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        account = await find_account(input.user_id)
        entry = await corrections.forfeit(
            account.id, _admin_request(info, "forfeit", input.idempotency_key, input.reason)
        )
        return await _entry_and_account(info, entry)

    return await mutate(ForfeitPointsPayload, work)


async def reverse_entry(info: Info, input: ReverseEntryInput) -> ReverseEntryPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        _, entry_id = parse_global_id(input.entry_id, "entryId", "LedgerEntry")
        entry = await reversals.reverse(
            entry_id,
            _admin_request(info, "reverse", input.idempotency_key, input.reason),
            info.context.runtime.rules,
            amount=input.amount,
        )
        return await _entry_and_account(info, entry)

    return await mutate(ReverseEntryPayload, work)


def _admin_request(info: Info, operation: str, key: str, reason: str) -> LedgerRequest:
    return LedgerRequest(
        actor=info.context.actor(Role.ADMIN),
        idempotency_key=entries.caller_key(operation, key),
        reason=reason,
    )
