"""Holes a review found, each closed: farming task rewards by redeeming and cancelling,
the gate counting replays, clashing idempotency keys, frozen users on the boards, the
shop's back end reading users' private data, and inputs that crashed instead of saying no."""

from __future__ import annotations

import asyncio

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.flash_gate import quota_key, stock_key
from pointsmall.runtime import Runtime
from pointsmall.subscriptions.broker import QUEUE_SIZE, RESYNC, LocalBroker
from tests.api import Api
from tests.engagement.helpers import (
    RECORD_EVENT,
    REFUND_ORDER,
    SET_RATE,
    UPSERT,
    create_task,
    my_tasks,
    record_order,
)
from tests.mall.helpers import ADDRESS, CANCEL, FULFILL, create_item, db_id, grant, redeem

CLAIM = """mutation($input: ClaimTaskRewardInput!) { claimTaskReward(input: $input) {
  reward errors { code } } }"""
BOARD = "{ leaderboard(period: ALL_TIME) { entries { nickname points } } }"
FREEZE = """mutation($input: FreezeAccountInput!) { freezeAccount(input: $input) {
  errors { code } } }"""
GRANT = """mutation($input: GrantPointsInput!) { grantPoints(input: $input) {
  account { userId ledger { edges { node { id } } } } errors { code } } }"""


async def test_redeeming_and_cancelling_earns_no_task_reward(api: Api, clock: MovableClock) -> None:
    await create_task(
        api, title="Redeem 3", event="REDEEM", window="MONTHLY", targetCount=3, rewardPoints=200
    )
    await grant(api, "mei", 10)
    goods = await create_item(api, kind="PHYSICAL", virtualRight=None, pricePoints=10)
    for number in range(3):
        made = await redeem(api, "mei", goods["id"], f"r{number}", shippingAddress=ADDRESS)
        await api.data(CANCEL, api.user("mei"), input={"redemptionId": made["redemption"]["id"]})
    assert (await my_tasks(api))["Redeem 3"]["progress"]["current"] == 0
    made = await redeem(api, "mei", goods["id"], "kept", shippingAddress=ADDRESS)
    assert (await my_tasks(api))["Redeem 3"]["progress"]["current"] == 0  # not shipped yet
    await api.data(
        FULFILL,
        api.admin(),
        input={
            "redemptionId": made["redemption"]["id"],
            "status": "SHIPPED",
            "carrier": "SF",
            "trackingNumber": "1",
        },
    )
    assert (await my_tasks(api))["Redeem 3"]["progress"]["current"] == 1
    coupon_like = await create_item(api, pricePoints=1)  # VIRTUAL: handed over at once
    await grant(api, "mei", 1, "more")
    await redeem(api, "mei", coupon_like["id"], "virtual")
    assert (await my_tasks(api))["Redeem 3"]["progress"]["current"] == 2


async def test_retries_take_nothing_from_the_gate(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    await grant(api, "mei", 100)
    item = await create_item(api, pricePoints=10, stock=3, perUserQuota=2)
    for _ in range(3):
        await redeem(api, "mei", item["id"], "same")
    item_id = db_id(item["id"])
    assert await runtime.redis.get(stock_key(item_id)) == "2"
    assert await runtime.redis.get(quota_key(item_id, "lifetime", "mei")) == "1"
    assert (await redeem(api, "mei", item["id"], "second"))["errors"] == []


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


async def test_frozen_users_stay_off_the_boards_while_they_earn(
    api: Api, clock: MovableClock
) -> None:
    await api.data(UPSERT, api.service(), input={"userId": "mei", "nickname": "Mei"})
    await grant(api, "mei", 100)
    await api.data(FREEZE, api.admin(), input={"userId": "mei", "reason": "check"})
    await grant(api, "mei", 50, "while-frozen")
    assert (await api.data(BOARD))["leaderboard"]["entries"] == []


async def test_the_shop_sees_points_in_payloads_but_no_private_history(
    api: Api, clock: MovableClock
) -> None:
    body = await api.post(
        GRANT,
        api.service(),
        input={"userId": "mei", "amount": 5, "reason": "r", "idempotencyKey": "k"},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"][-1] == "ledger"


@pytest.mark.parametrize(
    ("query", "variables", "path"),
    [
        (
            UPSERT,
            {"input": {"userId": "mei", "registeredAt": "9999-12-31T23:00:00-05:00"}},
            "upsertUser",
        ),
        (UPSERT, {"input": {"userId": "mei", "timezone": "A" * 300}}, "upsertUser"),
        (SET_RATE, {"input": {"category": "x", "ratePercent": 1e308}}, "setEarningRate"),
        (
            RECORD_EVENT,
            {
                "input": {
                    "eventId": "e",
                    "userId": "mei",
                    "type": "REVIEW",
                    "occurredAt": "2026-11-23T09:00:00Z",
                    "attributes": {"n": 2**70},
                }
            },
            "recordEvent",
        ),
    ],
)
async def test_extreme_inputs_are_refused_clearly(
    api: Api, clock: MovableClock, query: str, variables: dict[str, object], path: str
) -> None:
    token = api.admin() if path == "setEarningRate" else api.service()
    result = await api.post(query, token, **variables)
    assert "errors" not in result, result
    assert result["data"][path]["errors"][0]["code"] == "INVALID_VALUE"


async def test_a_subscriber_that_falls_behind_is_told_to_resync() -> None:
    broker = LocalBroker()
    async with broker.subscribe("account:1") as queue:
        for number in range(QUEUE_SIZE + 5):
            await broker.publish("account:1", str(number))
        drained = [queue.get_nowait() for _ in range(queue.qsize())]
    assert RESYNC in drained
    assert len(drained) < QUEUE_SIZE + 5


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
