"""Corrections to an account: an admin's adjustments, forfeits, freezes, and taking back
points issued for orders that were refunded. Each goes through the ledger's one entry
point (`ledger.account_operation`) like every other operation."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F

from pointsmall.domain import events, validation
from pointsmall.domain.errors import InvalidState
from pointsmall.domain.ledger.entries import (
    Draw,
    LedgerRequest,
    account_operation,
    draw_points,
    fingerprint,
    new_lot,
    post_entry,
    same_entry,
)
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Counterparty, Entry, EntryKind, Lot
from pointsmall.models.ledger import LotSource


async def clawback(
    account_id: int, amount: int, request: LedgerRequest, *, first_from_lot: int | None = None
) -> Entry:
    """Take back points issued by mistake (a refunded order), never below zero.

    Taken from `first_from_lot` first (the order's own points, pending or not), then from
    the other live lots, pending before spendable; what cannot be taken is recorded as
    owed (`debt`), which later earnings pay off before anything else.
    """
    validation.positive_points(amount)
    operation = fingerprint("clawback", amount=amount, lot=first_from_lot)

    async def body(account: Account, now: datetime) -> Entry:
        draws: list[Draw] = []
        left = amount
        if first_from_lot is not None:
            lot = await Lot.get_or_none(id=first_from_lot, account_id=account.id)
            if lot is not None and lot.remaining > 0 and lot.expires_at > now:
                take = min(lot.remaining, left)
                await Lot.filter(id=lot.id).update(remaining=F("remaining") - take)
                draws.append(Draw(lot.id, -take))
                left -= take
        if left > 0:
            live = await Lot.filter(account_id=account.id, remaining__gt=0, expires_at__gt=now)
            available = sum(lot.remaining for lot in live)
            if available:
                draws += await draw_points(
                    account.id, min(left, available), now, include_pending=True, pending_first=True
                )
                left -= min(left, available)
        return await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.CLAWBACK,
            counterparty=Counterparty.ISSUED,
            amount=-(amount - left),
            draws=draws,
            now=now,
            debt_change=left,
        )

    return await account_operation(account_id, request, operation, body, same_entry)


async def adjust(account_id: int, amount: int, request: LedgerRequest, rules: LedgerRules) -> Entry:
    """An admin's signed correction, with a reason.

    A credit is a new lot under the expiry policy; a debit draws spendable points first,
    then pending ones, and never takes the account below zero.
    """
    validation.signed_points(amount)
    request.require_reason()
    operation = fingerprint("adjust", amount=amount)

    async def body(account: Account, now: datetime) -> Entry:
        if amount > 0:
            draws = [
                await new_lot(
                    account.id,
                    amount,
                    source=LotSource.ADJUSTMENT,
                    now=now,
                    available_at=now,
                    expires_at=rules.expires_at(now),
                )
            ]
        else:
            draws = await draw_points(account.id, -amount, now, include_pending=True)
        return await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.ADJUST,
            counterparty=Counterparty.ADJUSTED,
            amount=amount,
            draws=draws,
            now=now,
        )

    return await account_operation(account_id, request, operation, body, same_entry)


async def forfeit(account_id: int, request: LedgerRequest) -> Entry:
    """Remove every live point, spendable and pending (a penalty).

    Open holds are left to their redemption: captured, they were spent anyway; released,
    they come back to the account.
    """
    request.require_reason()
    operation = fingerprint("forfeit")

    async def body(account: Account, now: datetime) -> Entry:
        lots = await Lot.filter(account_id=account.id, remaining__gt=0, expires_at__gt=now)
        total = sum(lot.remaining for lot in lots)
        if total == 0:
            raise InvalidState("the account has no points to forfeit")
        draws = await draw_points(account.id, total, now, include_pending=True)
        return await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.FORFEIT,
            counterparty=Counterparty.FORFEITED,
            amount=-total,
            draws=draws,
            now=now,
        )

    return await account_operation(account_id, request, operation, body, same_entry)


async def set_frozen(account_id: int, frozen: bool, request: LedgerRequest) -> Account:
    """Freeze or unfreeze; the change is an entry of its own (amount 0) for the audit trail.

    Asking for the state the account is already in changes nothing.
    """
    request.require_reason()
    operation = fingerprint("freeze" if frozen else "unfreeze")

    async def body(account: Account, now: datetime) -> Account:
        if account.frozen == frozen:
            return account
        account.frozen = frozen
        account.frozen_reason = request.reason if frozen else None
        await Account.filter(id=account.id).update(
            frozen=frozen, frozen_reason=account.frozen_reason
        )
        events.after_commit(events.AccountStanding(account.id, frozen))
        await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.FREEZE if frozen else EntryKind.UNFREEZE,
            counterparty=Counterparty.NONE,
            amount=0,
            draws=[],
            now=now,
        )
        return account

    async def replay(entry: Entry) -> Account:
        return await Account.get(id=entry.account_id)

    return await account_operation(account_id, request, operation, body, replay)
