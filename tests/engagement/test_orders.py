"""Points from paid orders: rates, rounding, caps, the return window, refunds and debts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.engagement.helpers import (
    RECORD_EVENT,
    RECORD_ORDER,
    REFUND_ORDER,
    SET_RATE,
    UPSERT,
    create_task,
    order_input,
    points,
    record_order,
)

CLAIM = """mutation($input: ClaimTaskRewardInput!) { claimTaskReward(input: $input) {
  reward errors { code } } }"""
SPEND_VIA_ADMIN = """mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) {
  errors { code } } }"""


async def test_points_follow_the_category_rate_and_wait_out_the_return_window(
    api: Api, clock: MovableClock
) -> None:
    await api.data(SET_RATE, api.admin(), input={"category": "electronics", "ratePercent": 5})
    payload = await record_order(
        api,
        lines=[
            {"sku": "tv-1", "category": "electronics", "amount": 10_000, "currency": "USD"},
            {"sku": "bread", "category": "groceries", "amount": 2_599, "currency": "USD"},
        ],
    )
    order = payload["order"]
    # 5% of 100.00 = 5.00 = 500 points; 1% (default) of 25.99 = 25.99 points, rounded down.
    assert [line["points"] for line in order["lines"]] == [500, 25]
    assert order["points"] == 525
    assert order["pendingUntil"] == "2026-11-30T09:00:00+00:00"
    assert await points(api) == {"balance": 0, "pending": 525, "owed": 0}
    clock.set(clock.now().replace(day=30, hour=9, minute=0))
    assert await points(api) == {"balance": 525, "pending": 0, "owed": 0}  # no job needed


async def test_a_replayed_order_changes_nothing(api: Api, clock: MovableClock) -> None:
    first = await record_order(api)
    again = await record_order(api)
    assert again == first
    changed = await record_order(api, paidAt="2026-11-22T09:00:00Z")
    assert changed["errors"][0]["code"] == "IDEMPOTENCY_CONFLICT"
    assert (await points(api))["pending"] == 100


async def test_an_order_without_paid_at_was_paid_now_and_replays(
    api: Api, clock: MovableClock
) -> None:
    order = order_input("o-now")
    del order["paidAt"]
    first = (await api.data(RECORD_ORDER, api.service(), input=order))["recordOrder"]
    clock.advance(timedelta(minutes=3))  # a retry a little later is the same order
    again = (await api.data(RECORD_ORDER, api.service(), input=order))["recordOrder"]
    assert first["errors"] == again["errors"] == []
    assert first["order"] == again["order"]
    until = datetime.fromisoformat(first["order"]["pendingUntil"])
    assert until == clock.now() - timedelta(minutes=3) + timedelta(days=7)


async def test_the_first_order_soon_after_registering_earns_double(
    api: Api, clock: MovableClock
) -> None:
    await api.data(
        UPSERT, api.service(), input={"userId": "mei", "registeredAt": "2026-11-20T00:00:00Z"}
    )
    first = await record_order(api, order_id="o-1")
    second = await record_order(api, order_id="o-2")
    assert (first["order"]["points"], first["order"]["firstOrderBonus"]) == (200, True)
    assert (second["order"]["points"], second["order"]["firstOrderBonus"]) == (100, False)
    late = await record_order(api, order_id="o-3", user="late")
    assert late["order"]["firstOrderBonus"] is False  # never registered: no bonus


async def test_orders_are_capped(api: Api, clock: MovableClock) -> None:
    await api.data(SET_RATE, api.admin(), input={"category": "gold", "ratePercent": 100})
    payload = await record_order(
        api, lines=[{"sku": "bar", "category": "gold", "amount": 100_000_000, "currency": "USD"}]
    )
    assert payload["order"]["points"] == 100_000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "a", "category": "x", "amount": 0, "currency": "USD"}]}, "lines"),
        ({"lines": [{"sku": "a", "category": "x", "amount": 5, "currency": "EUR"}]}, "lines"),
        ({"lines": [{"sku": "a", "category": "Bad Cat", "amount": 5, "currency": "USD"}]}, "lines"),
        (
            {
                "lines": [
                    {"sku": "a", "category": "x", "amount": 5, "currency": "USD"},
                    {"sku": "a", "category": "x", "amount": 5, "currency": "USD"},
                ]
            },
            "lines",
        ),
        ({"paidAt": "2027-01-01T00:00:00Z"}, "paidAt"),
        ({"orderId": "o" * 65}, "orderId"),
        ({"userId": ""}, "userId"),
    ],
)
async def test_bad_orders_are_refused(
    api: Api, clock: MovableClock, overrides: dict[str, Any], field: str
) -> None:
    payload = await record_order(api, **overrides)
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [
        ("INVALID_VALUE", ["input", field])
    ]
    assert payload["order"] is None


async def test_refunds_take_back_pending_points_first(api: Api, clock: MovableClock) -> None:
    await record_order(
        api,
        lines=[
            {"sku": "a", "category": "x", "amount": 30_000, "currency": "USD"},
            {"sku": "b", "category": "x", "amount": 20_000, "currency": "USD"},
        ],
    )
    refund = await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "r-1", "lines": [{"sku": "a", "amount": 15_000}]},
    )
    assert refund["refundOrder"]["refund"] == {
        "refundId": "r-1",
        "points": 150,
        "taken": 150,
        "owed": 0,
    }
    assert await points(api) == {"balance": 0, "pending": 350, "owed": 0}
    again = await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "r-1", "lines": [{"sku": "a", "amount": 15_000}]},
    )
    assert again["refundOrder"]["refund"]["taken"] == 150  # replayed, not taken twice
    assert (await points(api))["pending"] == 350
    reused = await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "r-1", "lines": [{"sku": "b", "amount": 1_000}]},
    )
    assert reused["refundOrder"]["errors"][0]["code"] == "IDEMPOTENCY_CONFLICT"
    assert (await points(api))["pending"] == 350
    too_much = await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "r-2", "lines": [{"sku": "a", "amount": 15_001}]},
    )
    assert too_much["refundOrder"]["errors"][0]["code"] == "INVALID_VALUE"
    missing = await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "nope", "refundId": "r-3", "lines": [{"sku": "a", "amount": 1}]},
    )
    assert missing["refundOrder"]["errors"][0]["code"] == "NOT_FOUND"


async def test_points_already_spent_are_owed_and_paid_off_by_the_next_earnings(
    api: Api, clock: MovableClock
) -> None:
    await record_order(api)  # 100 points, pending a week
    clock.advance(timedelta(days=8))
    spent = await api.data(
        SPEND_VIA_ADMIN,
        api.admin(),
        input={"userId": "mei", "amount": -80, "reason": "spent", "idempotencyKey": "s"},
    )
    assert spent["adjustPoints"]["errors"] == []
    refund = await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "r-1", "lines": [{"sku": "tv-1", "amount": 10_000}]},
    )
    assert refund["refundOrder"]["refund"]["taken"] == 20
    assert refund["refundOrder"]["refund"]["owed"] == 80
    assert await points(api) == {"balance": 0, "pending": 0, "owed": 80}  # never negative
    await record_order(api, order_id="o-2", paidAt=clock.now().isoformat())  # 100 more
    assert await points(api) == {"balance": 0, "pending": 20, "owed": 0}


async def test_events_are_recorded_once(api: Api, clock: MovableClock) -> None:
    event = {
        "eventId": "e-1",
        "userId": "mei",
        "type": "review",
        "occurredAt": "2026-11-23T08:00:00Z",
        "attributes": {"stars": 5},
    }
    first = await api.data(RECORD_EVENT, api.service(), input=event)
    again = await api.data(RECORD_EVENT, api.service(), input=event)
    assert (first["recordEvent"]["recorded"], again["recordEvent"]["recorded"]) == (True, False)
    bad = await api.data(
        RECORD_EVENT, api.service(), input={**event, "eventId": "e-2", "type": "not valid!"}
    )
    assert bad["recordEvent"]["errors"][0]["field"] == ["input", "type"]
    changed = await api.data(RECORD_EVENT, api.service(), input={**event, "attributes": {}})
    assert changed["recordEvent"]["errors"][0]["code"] == "IDEMPOTENCY_CONFLICT"


@pytest.mark.parametrize("rate", [-1, 101, 1.234])
async def test_bad_rates_are_refused(api: Api, clock: MovableClock, rate: float) -> None:
    result = await api.data(SET_RATE, api.admin(), input={"category": "x", "ratePercent": rate})
    assert result["setEarningRate"]["errors"] == [
        {"code": "INVALID_VALUE", "field": ["input", "ratePercent"]}
    ]


async def test_a_users_claim_key_cannot_block_the_shops_refund(
    api: Api, clock: MovableClock
) -> None:
    task = await create_task(
        api,
        title="Review",
        event="REVIEW",
        window="ONCE",
        targetCount=1,
        rewardPoints=5,
        autoClaim=False,
    )
    await record_order(api, paidAt=clock.now().isoformat())
    await api.data(
        RECORD_EVENT,
        api.service(),
        input={
            "eventId": "e",
            "userId": "mei",
            "type": "REVIEW",
            "occurredAt": clock.now().isoformat(),
        },
    )
    claimed = await api.data(
        CLAIM, api.user("mei"), input={"taskId": task["id"], "idempotencyKey": "refund:rf-1"}
    )
    assert claimed["claimTaskReward"]["reward"] == 5
    refund = await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "rf-1", "lines": [{"sku": "tv-1", "amount": 10_000}]},
    )
    assert refund["refundOrder"]["errors"] == []
    assert refund["refundOrder"]["refund"]["taken"] == 100


async def test_concurrent_identical_refunds_all_answer_the_refund(
    api: Api, clock: MovableClock
) -> None:
    await record_order(api)
    refund = {"orderId": "o-1", "refundId": "rf", "lines": [{"sku": "tv-1", "amount": 10_000}]}
    results = await asyncio.gather(
        *(api.data(REFUND_ORDER, api.service(), input=refund) for _ in range(5))
    )
    assert all(result["refundOrder"]["errors"] == [] for result in results)
    assert {result["refundOrder"]["refund"]["taken"] for result in results} == {100}
