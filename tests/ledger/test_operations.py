"""Each ledger operation keeps the books: what users see, what the audit recomputes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pointsmall import clock as service_clock
from pointsmall.clock import MovableClock
from pointsmall.domain.errors import (
    AccountFrozen,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidState,
    InvalidValue,
    NotFound,
)
from pointsmall.domain.ledger import audit, corrections, entries, holds, reversals
from pointsmall.domain.ledger.balances import PointsSummary, live_lots, summarize
from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.domain.ledger.expiry_policy import PeriodEndExpiry
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Allocation, Entry, EntryKind, Hold, HoldStatus, Lot
from pointsmall.models.ledger import LotSource
from tests.ledger.helpers import RULES, account, reload, request

DAY = timedelta(days=1)


async def points(account_row: Account) -> PointsSummary:
    fresh = await reload(account_row)
    lots = await live_lots([fresh.id])
    return summarize(lots[fresh.id], held=fresh.held, frozen=fresh.frozen, at=service_clock.now())


async def assert_books_clean() -> None:
    report = await audit.audit_ledger()
    assert report.drift == []
    assert report.books.balanced


async def test_earned_points_expire_after_the_rolling_period(db: str, clock: MovableClock) -> None:
    user = await account()
    entry = await entries.earn(user.id, 100, request("e1"), RULES)
    [lot] = await Lot.filter(account_id=user.id)
    assert lot.expires_at == clock.now() + timedelta(days=365)
    assert entry.balance_after == 100
    clock.advance(timedelta(days=365) - timedelta(seconds=1))
    assert (await points(user)).balance == 100
    clock.advance(timedelta(seconds=1))
    assert (await points(user)).balance == 0  # expired by the clock, before any sweep


async def test_pending_points_count_once_their_window_passes_without_a_job(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 300, request("order"), RULES, available_at=clock.now() + 7 * DAY)
    summary = await points(user)
    assert (summary.balance, summary.pending) == (0, 300)
    with pytest.raises(InsufficientPoints):
        await entries.spend(user.id, 1, request("too-early"))
    clock.advance(7 * DAY)
    summary = await points(user)
    assert (summary.balance, summary.pending) == (300, 0)
    await entries.spend(user.id, 300, request("now"))


async def test_explicit_expiry_must_follow_availability(db: str, clock: MovableClock) -> None:
    user = await account()
    with pytest.raises(InvalidValue) as refused:
        await entries.earn(user.id, 10, request("x"), RULES, expires_at=clock.now() - DAY)
    assert refused.value.field == "expiresAt"
    assert await Entry.filter(account_id=user.id).count() == 0


async def test_spend_draws_earliest_expiry_first_and_records_allocations(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("late"), RULES)
    await entries.earn(user.id, 50, request("soon"), RULES, expires_at=clock.now() + 3 * DAY)
    spent = await entries.spend(user.id, 70, request("s"))
    allocations = await Allocation.filter(entry_id=spent.id).order_by("id")
    lots = {lot.id: lot for lot in await Lot.filter(account_id=user.id)}
    assert [
        (lots[a.lot_id].expires_at > clock.now() + 30 * DAY, a.amount) for a in allocations
    ] == [
        (False, -50),
        (True, -20),
    ]
    assert spent.amount == -70 and spent.balance_after == 80
    await assert_books_clean()


async def test_spending_more_than_available_changes_nothing(db: str, clock: MovableClock) -> None:
    user = await account()
    await entries.earn(user.id, 40, request("e"), RULES)
    with pytest.raises(InsufficientPoints):
        await entries.spend(user.id, 41, request("s"))
    assert (await points(user)).balance == 40
    assert await Entry.filter(account_id=user.id).count() == 1


async def test_a_retry_with_the_same_key_charges_once(db: str, clock: MovableClock) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("e"), RULES)
    first = await entries.spend(user.id, 30, request("spend-1"))
    again = await entries.spend(user.id, 30, request("spend-1"))
    assert again.id == first.id
    assert (await points(user)).balance == 70


async def test_the_same_key_with_other_parameters_is_a_conflict(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("e"), RULES)
    await entries.spend(user.id, 30, request("spend-1"))
    with pytest.raises(IdempotencyConflict):
        await entries.spend(user.id, 31, request("spend-1"))
    with pytest.raises(IdempotencyConflict):
        await corrections.adjust(user.id, 5, request("spend-1"), RULES)
    assert (await points(user)).balance == 70


async def test_frozen_accounts_keep_their_balance_but_cannot_spend_or_hold(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("e"), RULES)
    await corrections.set_frozen(user.id, True, request(reason="fraud review"))
    with pytest.raises(AccountFrozen):
        await entries.spend(user.id, 10, request("s"))
    with pytest.raises(AccountFrozen):
        await holds.hold(user.id, 10, request("h"))
    await entries.earn(user.id, 5, request("while-frozen"), RULES)  # credited, then refused
    summary = await points(user)
    assert (summary.balance, summary.frozen) == (100, True)
    refused = await Entry.get(account_id=user.id, kind=EntryKind.FORFEIT)
    assert (refused.amount, refused.reason) == (-5, "earning refused: the account is frozen")
    await corrections.set_frozen(user.id, False, request(reason="cleared"))
    await entries.spend(user.id, 100, request("s2"))
    kinds = [e.kind for e in await Entry.filter(account_id=user.id).order_by("id")]
    assert EntryKind.FREEZE in kinds and EntryKind.UNFREEZE in kinds


async def test_freezing_a_frozen_account_changes_nothing(db: str, clock: MovableClock) -> None:
    user = await account()
    await corrections.set_frozen(user.id, True, request(reason="a"))
    await corrections.set_frozen(user.id, True, request(reason="b"))
    assert await Entry.filter(account_id=user.id, kind=EntryKind.FREEZE).count() == 1


async def test_hold_then_capture_redeems_the_points(db: str, clock: MovableClock) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("e"), RULES)
    held = await holds.hold(user.id, 60, request("h"))
    summary = await points(user)
    assert (summary.balance, summary.held) == (40, 60)
    await holds.capture(held.id, request("c"))
    summary = await points(user)
    assert (summary.balance, summary.held) == (40, 0)
    report = await audit.audit_ledger()
    assert report.books.redeemed == 60
    with pytest.raises(InvalidState):
        await holds.release(held.id, request("r"), RULES)


async def test_held_points_survive_their_lot_expiring_and_come_back_in_a_grace_lot(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("e"), RULES, expires_at=clock.now() + 2 * DAY)
    held = await holds.hold(user.id, 100, request("h"))
    clock.advance(3 * DAY)
    await expire_due_points()  # nothing left in the lot: the hold took it
    await holds.release(held.id, request("r"), RULES)
    summary = await points(user)
    assert summary.balance == 100
    grace = await Lot.get(account_id=user.id, source=LotSource.GRACE)
    assert grace.expires_at == clock.now() + RULES.reversal_grace
    assert (await Hold.get(id=held.id)).status == HoldStatus.RELEASED
    await assert_books_clean()


async def test_reverse_returns_points_to_their_original_lots(db: str, clock: MovableClock) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("e"), RULES)
    spent = await entries.spend(user.id, 80, request("s"))
    reversal = await reversals.reverse(spent.id, request("r"), RULES)
    assert reversal.amount == 80 and reversal.reverses_id == spent.id
    [lot] = await Lot.filter(account_id=user.id)
    assert lot.remaining == 100
    with pytest.raises(InvalidState):
        await reversals.reverse(spent.id, request("r2"), RULES)
    await assert_books_clean()


async def test_partial_reversals_never_give_back_more_than_was_taken(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("e"), RULES)
    spent = await entries.spend(user.id, 90, request("s"))
    await reversals.reverse(spent.id, request("r1"), RULES, amount=50)
    with pytest.raises(InvalidValue):
        await reversals.reverse(spent.id, request("r2"), RULES, amount=41)
    await reversals.reverse(spent.id, request("r3"), RULES, amount=40)
    assert (await points(user)).balance == 100
    await assert_books_clean()


async def test_reversing_after_the_lot_expired_gives_a_grace_lot(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 50, request("e"), RULES, expires_at=clock.now() + DAY)
    spent = await entries.spend(user.id, 50, request("s"))
    clock.advance(2 * DAY)
    await reversals.reverse(spent.id, request("r"), RULES)
    summary = await points(user)
    assert summary.balance == 50
    assert summary.next_expiry() is not None
    assert summary.next_expiry().expires_at == clock.now() + RULES.reversal_grace  # type: ignore[union-attr]
    await assert_books_clean()


async def test_only_debits_can_be_reversed(db: str, clock: MovableClock) -> None:
    user = await account()
    earned = await entries.earn(user.id, 50, request("e"), RULES)
    with pytest.raises(InvalidState):
        await reversals.reverse(earned.id, request("r"), RULES)
    with pytest.raises(NotFound):
        await reversals.reverse(999_999, request("r"), RULES)


async def test_admin_adjustments_credit_and_debit_with_a_reason(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    with pytest.raises(InvalidValue):
        await corrections.adjust(user.id, 10, request("a", reason="  "), RULES)
    await corrections.adjust(user.id, 100, request("a1", reason="goodwill"), RULES)
    await entries.earn(user.id, 50, request("p"), RULES, available_at=clock.now() + DAY)
    await corrections.adjust(user.id, -120, request("a2", reason="correction"), RULES)
    summary = await points(user)
    assert (summary.balance, summary.pending) == (0, 30)  # spendable first, then pending
    with pytest.raises(InsufficientPoints):
        await corrections.adjust(user.id, -31, request("a3", reason="too much"), RULES)
    await assert_books_clean()


async def test_forfeit_removes_spendable_and_pending_points(db: str, clock: MovableClock) -> None:
    user = await account()
    await entries.earn(user.id, 70, request("e"), RULES)
    await entries.earn(user.id, 30, request("p"), RULES, available_at=clock.now() + DAY)
    entry = await corrections.forfeit(user.id, request("f", reason="abuse"))
    assert entry.amount == -100
    summary = await points(user)
    assert (summary.balance, summary.pending) == (0, 0)
    with pytest.raises(InvalidState):
        await corrections.forfeit(user.id, request("f2", reason="again"))
    report = await audit.audit_ledger()
    assert report.books.forfeited == 100


async def test_sweep_writes_expiry_entries_so_history_sums_to_the_balance(
    db: str, clock: MovableClock
) -> None:
    users = [await account(f"u{n}") for n in range(5)]
    for index, user in enumerate(users):
        await entries.earn(
            user.id, 10 + index, request("short"), RULES, expires_at=clock.now() + DAY
        )
        await entries.earn(user.id, 100, request("long"), RULES)
    clock.advance(2 * DAY)
    report = await expire_due_points(batch_size=2)
    assert (report.accounts, report.points, report.batches) == (5, 60, 3)
    again = await expire_due_points()
    assert again.points == 0
    for user in users:
        fresh = await reload(user)
        assert fresh.ledger_balance == 100 == (await points(user)).balance
        last = await Entry.filter(account_id=user.id).order_by("-id").first()
        assert last is not None and last.kind == EntryKind.EXPIRE
    await assert_books_clean()


async def test_expiring_soon_groups_points_by_expiry(db: str, clock: MovableClock) -> None:
    user = await account()
    soon = clock.now() + 3 * DAY
    await entries.earn(user.id, 20, request("a"), RULES, expires_at=soon)
    await entries.earn(user.id, 30, request("b"), RULES, expires_at=soon)
    await entries.earn(user.id, 40, request("c"), RULES, expires_at=clock.now() + 20 * DAY)
    await entries.earn(user.id, 50, request("d"), RULES)
    summary = await points(user)
    expiring = summary.expiring_within(timedelta(days=7))
    assert [(item.amount, item.expires_at) for item in expiring] == [(50, soon)]
    assert len(summary.expiring_within(timedelta(days=30))) == 2
    assert summary.next_expiry() is not None
    assert summary.next_expiry().amount == 50  # type: ignore[union-attr]


async def test_fixed_period_policy_expires_at_the_end_of_the_period(
    db: str, clock: MovableClock
) -> None:
    rules = LedgerRules(expiry=PeriodEndExpiry("year", 1))
    user = await account()
    await entries.earn(user.id, 10, request("e"), rules)
    [lot] = await Lot.filter(account_id=user.id)
    assert lot.expires_at == datetime(2028, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("amount", [0, -5, 1_000_000_001])
async def test_bad_amounts_are_refused_and_change_nothing(
    db: str, clock: MovableClock, amount: int
) -> None:
    user = await account()
    with pytest.raises(InvalidValue):
        await entries.earn(user.id, amount, request("e"), RULES)
    with pytest.raises(InvalidValue):
        await entries.spend(user.id, amount, request("s"))
    assert await Entry.all().count() == 0
    assert await Lot.all().count() == 0


async def test_clawback_takes_the_orders_own_points_first_and_owes_the_rest(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("older"), RULES)
    order = await entries.earn(
        user.id, 300, request("order"), RULES, available_at=clock.now() + 7 * DAY
    )
    order_lot = (await Allocation.get(entry_id=order.id)).lot_id
    await entries.spend(user.id, 100, request("spent"))
    taken = await corrections.clawback(user.id, 350, request("refund"), first_from_lot=order_lot)
    assert taken.amount == -300 and taken.debt_change == 50  # pending order points, then owed
    fresh = await reload(user)
    assert (fresh.ledger_balance, fresh.debt) == (0, 50)
    repaid = await entries.earn(user.id, 80, request("next"), RULES)
    assert repaid.amount == 80
    fresh = await reload(user)
    assert (fresh.debt, (await points(user)).balance) == (0, 30)  # owed paid off first
    kinds = [entry.kind for entry in await Entry.filter(account_id=user.id).order_by("id")]
    assert kinds[-2:] == [EntryKind.EARN, EntryKind.REPAYMENT]
    await assert_books_clean()
    report = await audit.audit_ledger()
    assert report.books.issued == 100 + 300 - 300 + 80 - 50
