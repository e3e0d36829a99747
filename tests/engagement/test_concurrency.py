"""Engagement under concurrency, on PostgreSQL: replays, check-ins and claims pay once;
refunds racing spends never leave a negative balance nor pay twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.ledger import audit
from pointsmall.models import Account, CheckIn, Entry, EntryKind, Order
from tests.api import Api
from tests.engagement.helpers import (
    CHECK_IN,
    RECORD_EVENT,
    REFUND_ORDER,
    create_task,
    my_tasks,
    record_order,
)

pytestmark = pytest.mark.postgres

CLAIM = """mutation($input: ClaimTaskRewardInput!) { claimTaskReward(input: $input) {
  reward errors { code } } }"""
SPEND = """mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) {
  errors { code } } }"""


async def test_an_order_replayed_20_times_at_once_is_recorded_once(
    api: Api, clock: MovableClock
) -> None:
    payloads = await asyncio.gather(*(record_order(api) for _ in range(20)))
    assert all(payload["errors"] == [] for payload in payloads)
    assert {payload["order"]["points"] for payload in payloads} == {100}
    assert await Order.all().count() == 1
    assert await Entry.filter(kind=EntryKind.EARN).count() == 1


async def test_an_event_replayed_at_once_counts_once(api: Api, clock: MovableClock) -> None:
    await create_task(
        api, title="Review", event="REVIEW", window="ONCE", targetCount=2, rewardPoints=10
    )
    event = {
        "eventId": "e-1",
        "userId": "mei",
        "type": "REVIEW",
        "occurredAt": clock.now().isoformat(),
    }
    results = await asyncio.gather(
        *(api.data(RECORD_EVENT, api.service(), input=event) for _ in range(20))
    )
    assert sum(result["recordEvent"]["recorded"] for result in results) == 1
    assert (await my_tasks(api))["Review"]["progress"]["current"] == 1


async def test_50_parallel_check_ins_pay_one_reward(api: Api, clock: MovableClock) -> None:
    results = await asyncio.gather(
        *(api.data(CHECK_IN, api.user("mei"), key=f"k{n}") for n in range(50))
    )
    done = [result for result in results if result["checkIn"]["errors"] == []]
    assert len(done) == 1
    assert await CheckIn.all().count() == 1
    assert (await Account.get(user_id="mei")).ledger_balance == 10


async def test_parallel_claims_pay_once(api: Api, clock: MovableClock) -> None:
    task = await create_task(
        api,
        title="Order twice",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=2,
        rewardPoints=100,
        autoClaim=False,
    )
    await record_order(api, order_id="o-1")
    await record_order(api, order_id="o-2")
    results = await asyncio.gather(
        *(
            api.data(
                CLAIM, api.user("mei"), input={"taskId": task["id"], "idempotencyKey": f"c{n}"}
            )
            for n in range(20)
        )
    )
    assert sorted(result["claimTaskReward"]["reward"] for result in results) == [0] * 19 + [100]
    assert await Entry.filter(reference__startswith="task:").count() == 1


async def test_refunds_racing_spends_never_go_negative(api: Api, clock: MovableClock) -> None:
    for number in range(10):
        await record_order(api, order_id=f"o-{number}", user=f"u{number}")
    clock.advance(timedelta(days=8))  # points available

    async def spend(user: str) -> None:
        await api.data(
            SPEND,
            api.admin(),
            input={"userId": user, "amount": -70, "reason": "spent", "idempotencyKey": "s"},
        )

    async def refund(number: int) -> None:
        await api.data(
            REFUND_ORDER,
            api.service(),
            input={
                "orderId": f"o-{number}",
                "refundId": f"r-{number}",
                "lines": [{"sku": "tv-1", "amount": 10_000}],
            },
        )

    await asyncio.gather(*(spend(f"u{n}") for n in range(10)), *(refund(n) for n in range(10)))
    for account in await Account.filter(user_id__startswith="u"):
        assert account.ledger_balance >= 0
        # Whatever the order: 100 earned, 100 taken back or owed, 70 spent if it came first.
        assert account.ledger_balance - account.debt in (-70, 0)
    report = await audit.audit_ledger()
    assert report.clean, report.drift
