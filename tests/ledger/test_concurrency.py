"""Concurrent operations on one account on PostgreSQL: exact, never negative, never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from pointsmall.clock import MovableClock
from pointsmall.domain.errors import DomainError, InsufficientPoints
from pointsmall.domain.ledger import audit, entries
from pointsmall.domain.ledger.accounts import lock_account
from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.models import Allocation, Entry, EntryKind, Lot
from tests.ledger.helpers import RULES, account, reload, request

pytestmark = pytest.mark.postgres


async def test_200_concurrent_spends_of_10_from_1000_leave_exactly_100_successes(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 1000, request("e"), RULES)

    async def spend(number: int) -> bool:
        try:
            await entries.spend(user.id, 10, request(f"s{number}"))
        except InsufficientPoints:
            return False
        return True

    results = await asyncio.gather(*(spend(n) for n in range(200)))
    assert sum(results) == 100
    fresh = await reload(user)
    assert fresh.ledger_balance == 0
    assert await Lot.filter(remaining__lt=0).count() == 0
    assert await Entry.filter(kind=EntryKind.SPEND).count() == 100
    assert (await audit.audit_ledger()).clean


async def test_the_same_key_sent_50_times_at_once_has_one_effect(
    db: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 1000, request("e"), RULES)
    spends = await asyncio.gather(*(entries.spend(user.id, 25, request("same")) for _ in range(50)))
    assert len({entry.id for entry in spends}) == 1
    assert (await reload(user)).ledger_balance == 975
    grants = await asyncio.gather(
        *(entries.earn(user.id, 5, request("grant-once"), RULES) for _ in range(50))
    )
    assert len({entry.id for entry in grants}) == 1
    assert (await reload(user)).ledger_balance == 980


async def test_the_sweep_racing_spends_never_spends_an_expired_point_nor_expires_a_spent_one(
    db: str, clock: MovableClock
) -> None:
    users = [await account(f"u{n}") for n in range(20)]
    for user in users:
        await entries.earn(
            user.id, 100, request("short"), RULES, expires_at=clock.now() + timedelta(hours=1)
        )
        await entries.earn(user.id, 100, request("long"), RULES)
    clock.advance(timedelta(hours=1))

    async def spend_all(user_id: int) -> int:
        spent = 0
        for number in range(12):
            try:
                await entries.spend(user_id, 20, request(f"s{number}"))
                spent += 20
            except DomainError:
                break
        return spent

    sweep = asyncio.create_task(expire_due_points(batch_size=3))
    spent = await asyncio.gather(*(spend_all(user.id) for user in users))
    await sweep
    await expire_due_points()
    assert spent == [100] * 20  # only the long-lived lot was ever spendable
    for user in users:
        assert (await reload(user)).ledger_balance == 0
    expired = await Entry.filter(kind=EntryKind.EXPIRE)
    assert sum(-entry.amount for entry in expired) == 20 * 100
    # No expiry drew from a lot that was spent from, and no spend from an expired lot.
    spend_lots = set(
        await Allocation.filter(entry__kind=EntryKind.SPEND).values_list("lot_id", flat=True)
    )
    expire_lots = set(
        await Allocation.filter(entry__kind=EntryKind.EXPIRE).values_list("lot_id", flat=True)
    )
    assert spend_lots.isdisjoint(expire_lots)
    assert (await audit.audit_ledger()).clean


async def test_the_sweep_passes_over_an_account_in_use_and_takes_it_next_time(
    db: str, clock: MovableClock
) -> None:
    users = [await account(f"u{n}") for n in range(3)]
    for user in users:
        await entries.earn(
            user.id, 50, request("e"), RULES, expires_at=clock.now() + timedelta(hours=1)
        )
    clock.advance(timedelta(hours=1))
    busy = asyncio.Event()
    done = asyncio.Event()

    async def a_long_spend_in_flight() -> None:
        async with in_transaction():
            await lock_account(users[1].id)
            busy.set()
            await done.wait()

    holder = asyncio.create_task(a_long_spend_in_flight())
    await busy.wait()
    report = await asyncio.wait_for(expire_due_points(batch_size=2), 10)  # it does not wait
    assert report.accounts == 2
    assert [(await reload(user)).ledger_balance for user in users] == [0, 50, 0]
    done.set()
    await holder
    assert (await expire_due_points()).accounts == 1
    assert (await reload(users[1])).ledger_balance == 0
    assert (await audit.audit_ledger()).clean
