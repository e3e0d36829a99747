"""grantPoints (service); adjustPoints, forfeitPoints, reverseEntry (admin)."""

from __future__ import annotations

from dataclasses import dataclass

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain import events
from pointsmall.domain.ledger import corrections, entries, reversals
from pointsmall.domain.ledger.accounts import find_account, open_account
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.models import Account as AccountModel
from pointsmall.models import Entry
from pointsmall.resolvers.ledger.accounts import account_type
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.context import Info
from pointsmall.schema.ledger.accounts import Account
from pointsmall.schema.ledger.entries import (
    AdjustPointsInput,
    AdjustPointsPayload,
    ForfeitPointsInput,
    ForfeitPointsPayload,
    GrantPointsInput,
    GrantPointsPayload,
    LedgerEntry,
    ReverseEntryInput,
    ReverseEntryPayload,
)
from pointsmall.schema.node import id_of


@dataclass(frozen=True)
class Posted:
    """An entry, and its account as it is now."""

    entry: LedgerEntry
    account: Account


async def _posted(info: Info, entry: Entry) -> Posted:
    found = await AccountModel.get(id=entry.account_id)  # as the change left it
    return Posted(LedgerEntry.from_model(entry), account_type(info, found))


async def grant_points(info: Info, input: GrantPointsInput) -> GrantPointsPayload:
    """Credit a user's points; opens the account of a user we have not seen yet."""
    access.require(info, Role.SERVICE)

    async def work() -> GrantPointsPayload:
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
        posted = await _posted(info, entry)
        return GrantPointsPayload(entry=posted.entry, account=posted.account)

    return await mutate(info, GrantPointsPayload, work)


async def adjust_points(info: Info, input: AdjustPointsInput) -> AdjustPointsPayload:
    access.require(info, Role.ADMIN)

    async def work() -> AdjustPointsPayload:
        account = await find_account(input.user_id)
        entry = await corrections.adjust(
            account.id,
            input.amount,
            _admin_request(info, "adjust", input.idempotency_key, input.reason),
            info.context.runtime.rules,
        )
        posted = await _posted(info, entry)
        return AdjustPointsPayload(entry=posted.entry, account=posted.account)

    return await mutate(info, AdjustPointsPayload, work)


async def forfeit_points(info: Info, input: ForfeitPointsInput) -> ForfeitPointsPayload:
    access.require(info, Role.ADMIN)

    async def work() -> ForfeitPointsPayload:
        account = await find_account(input.user_id)
        entry = await corrections.forfeit(
            account.id, _admin_request(info, "forfeit", input.idempotency_key, input.reason)
        )
        posted = await _posted(info, entry)
        return ForfeitPointsPayload(entry=posted.entry, account=posted.account)

    return await mutate(info, ForfeitPointsPayload, work)


async def reverse_entry(info: Info, input: ReverseEntryInput) -> ReverseEntryPayload:
    access.require(info, Role.ADMIN)

    async def work() -> ReverseEntryPayload:
        entry = await reversals.reverse(
            id_of(input.entry_id, "entryId", "LedgerEntry"),
            _admin_request(info, "reverse", input.idempotency_key, input.reason),
            info.context.runtime.rules,
            amount=input.amount,
        )
        posted = await _posted(info, entry)
        return ReverseEntryPayload(entry=posted.entry, account=posted.account)

    return await mutate(info, ReverseEntryPayload, work)


def _admin_request(info: Info, operation: str, key: str, reason: str) -> LedgerRequest:
    return LedgerRequest(
        actor=info.context.actor(Role.ADMIN),
        idempotency_key=entries.caller_key(operation, key),
        reason=reason,
    )
