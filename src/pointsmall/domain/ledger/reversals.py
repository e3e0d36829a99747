"""Undo a debit: points go back to the lots they were taken from."""

from __future__ import annotations

from datetime import datetime

from pointsmall.domain import validation
from pointsmall.domain.errors import InvalidState, InvalidValue, NotFound
from pointsmall.domain.ledger.entries import (
    Draw,
    LedgerRequest,
    account_operation,
    fingerprint,
    post_entry,
    return_points,
    same_entry,
)
from pointsmall.domain.ledger.holds import hold_draws
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.wording import with_article
from pointsmall.models import Account, Allocation, Counterparty, Entry, EntryKind, Hold, HoldStatus

REVERSIBLE = (EntryKind.SPEND, EntryKind.HOLD, EntryKind.FORFEIT, EntryKind.ADJUST)


async def reverse(
    entry_id: int, request: LedgerRequest, rules: LedgerRules, *, amount: int | None = None
) -> Entry:
    """Give back all of a debit, or `amount` of it (refunds of part of an order).

    Reversible: spends, captured holds, forfeits and negative adjustments. The total given
    back over all reversals of an entry never exceeds what it took. Points whose lot has
    expired meanwhile return in a GRACE lot (see `ledger.return_points`). A partial
    reversal gives back the latest-expiring points first.
    """
    if amount is not None:
        validation.positive_points(amount)
    original = await Entry.get_or_none(id=entry_id)
    if original is None:
        raise NotFound("no such ledger entry", field="entryId")
    operation = fingerprint("reverse", entry=entry_id, amount=amount)

    async def body(account: Account, now: datetime) -> Entry:
        await _ensure_reversible(original)
        taken = await _taken(original)
        already = await _already_returned(original.id)
        reversible = -sum(draw.amount for draw in taken) - already
        wanted = reversible if amount is None else amount
        if reversible == 0:
            raise InvalidState("this entry was already reversed in full")
        if wanted > reversible:
            raise InvalidValue(
                f"only {reversible:,} points of this entry are left to reverse", field="amount"
            )
        to_return = _latest_first(taken, skip=already, points=wanted)
        returned = await return_points(account.id, to_return, now, rules)
        return await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.REVERSAL,
            counterparty=_counterparty(original),
            amount=wanted,
            draws=returned,
            now=now,
            reverses_id=original.id,
        )

    return await account_operation(original.account_id, request, operation, body, same_entry)


def _counterparty(original: Entry) -> Counterparty:
    # A captured hold was a redemption: reversing it takes points back from REDEEMED.
    return Counterparty.REDEEMED if original.kind == EntryKind.HOLD else original.counterparty


async def _ensure_reversible(entry: Entry) -> None:
    if entry.kind not in REVERSIBLE or entry.amount >= 0:
        raise InvalidState(f"{with_article(entry.kind.value)} entry cannot be reversed")
    if entry.kind == EntryKind.HOLD:
        held = await Hold.get(id=entry.hold_id)
        if held.status != HoldStatus.CAPTURED:
            raise InvalidState("an open hold is released, not reversed; a released one is back")


async def _taken(entry: Entry) -> list[Draw]:
    if entry.kind == EntryKind.HOLD and entry.hold_id is not None:
        return await hold_draws(entry.hold_id)
    allocations = await Allocation.filter(entry_id=entry.id).order_by("id")
    return [Draw(lot_id=allocation.lot_id, amount=allocation.amount) for allocation in allocations]


async def _already_returned(entry_id: int) -> int:
    reversals_of = await Entry.filter(reverses_id=entry_id)
    return sum(entry.amount for entry in reversals_of)


def _latest_first(taken: list[Draw], *, skip: int, points: int) -> list[Draw]:
    """The part of `taken` (drawn earliest expiry first) to give back, walking backwards."""
    chosen: list[Draw] = []
    for draw in reversed(taken):
        available = -draw.amount
        if skip >= available:
            skip -= available
            continue
        available -= skip
        skip = 0
        give = min(available, points)
        chosen.append(Draw(lot_id=draw.lot_id, amount=-give))
        points -= give
        if points == 0:
            break
    return chosen
