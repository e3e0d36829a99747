"""Two-phase spending: hold points now, capture or release them later.

A hold draws its points from lots at once (earliest expiry first), so they leave the
spendable balance and no expiry can take them while a review or a cash payment is
pending. Capture turns them into a redemption (an entry of amount 0: the points already
left the balance, now they leave `held` for good); release gives them back to the lots
they came from, or to a grace lot where those expired meanwhile.
"""

from __future__ import annotations

from datetime import datetime

from pointsmall.domain import validation
from pointsmall.domain.errors import InvalidState, NotFound
from pointsmall.domain.ledger.entries import (
    Draw,
    LedgerRequest,
    account_operation,
    draw_points,
    ensure_can_spend,
    fingerprint,
    post_entry,
    return_points,
    same_entry,
)
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Allocation, Counterparty, Entry, EntryKind, Hold, HoldStatus


async def hold(account_id: int, amount: int, request: LedgerRequest) -> Hold:
    """Set spendable points aside. Refused on a frozen account, like a spend."""
    validation.positive_points(amount)
    operation = fingerprint("hold", amount=amount, reference=request.reference)

    async def body(account: Account, now: datetime) -> Hold:
        ensure_can_spend(account)
        draws = await draw_points(account.id, amount, now)
        held = await Hold.create(
            account_id=account.id,
            amount=amount,
            status=HoldStatus.HELD,
            reference=request.reference,
            created_at=now,
        )
        account.held += amount
        await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.HOLD,
            counterparty=Counterparty.HELD,
            amount=-amount,
            draws=draws,
            now=now,
            hold_id=held.id,
        )
        return held

    async def replay(entry: Entry) -> Hold:
        return await Hold.get(id=entry.hold_id)

    return await account_operation(account_id, request, operation, body, replay)


async def capture(hold_id: int, request: LedgerRequest) -> Entry:
    """Make a hold final. Allowed on a frozen account: the points were set aside before."""
    account_id = await _hold_account(hold_id)
    operation = fingerprint("capture", hold=hold_id)

    async def body(account: Account, now: datetime) -> Entry:
        held = await _open_hold(hold_id)
        await Hold.filter(id=hold_id).update(status=HoldStatus.CAPTURED, settled_at=now)
        account.held -= held.amount
        return await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.CAPTURE,
            counterparty=Counterparty.REDEEMED,
            amount=0,
            draws=[],
            now=now,
            hold_id=hold_id,
        )

    return await account_operation(account_id, request, operation, body, same_entry)


async def release(hold_id: int, request: LedgerRequest, rules: LedgerRules) -> Entry:
    """Give held points back to the lots they came from."""
    account_id = await _hold_account(hold_id)
    operation = fingerprint("release", hold=hold_id)

    async def body(account: Account, now: datetime) -> Entry:
        held = await _open_hold(hold_id)
        taken = await hold_draws(hold_id)
        returned = await return_points(account.id, taken, now, rules)
        await Hold.filter(id=hold_id).update(status=HoldStatus.RELEASED, settled_at=now)
        account.held -= held.amount
        return await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.RELEASE,
            counterparty=Counterparty.HELD,
            amount=held.amount,
            draws=returned,
            now=now,
            hold_id=hold_id,
        )

    return await account_operation(account_id, request, operation, body, same_entry)


async def hold_draws(hold_id: int) -> list[Draw]:
    """What the HOLD entry of a hold took from which lots (negative amounts)."""
    allocations = await Allocation.filter(
        entry__hold_id=hold_id, entry__kind=EntryKind.HOLD
    ).order_by("id")
    return [Draw(lot_id=allocation.lot_id, amount=allocation.amount) for allocation in allocations]


async def _hold_account(hold_id: int) -> int:
    held = await Hold.get_or_none(id=hold_id)
    if held is None:
        raise NotFound("no such hold")
    return held.account_id


async def _open_hold(hold_id: int) -> Hold:
    """The hold, read under its account's lock, which every status change also takes."""
    held = await Hold.get(id=hold_id)
    if held.status != HoldStatus.HELD:
        raise InvalidState(f"this hold was already {held.status.value.lower()}")
    return held
