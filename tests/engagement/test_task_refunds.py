"""Undoing what counted: a refunded order or redemption takes its task progress back, and
the rewards of tiers no longer reached with it (owed, if already spent)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.engagement.helpers import (
    REFUND_ORDER,
    UPDATE_TASK,
    create_task,
    my_tasks,
    points,
    record_order,
)
from tests.mall.helpers import ADDRESS, CANCEL, FULFILL, create_item, grant, redeem


async def refund(api: Api, order_id: str, refund_id: str, amount: int = 10_000) -> dict[str, Any]:
    result = await api.data(
        REFUND_ORDER,
        api.service(),
        input={
            "orderId": order_id,
            "refundId": refund_id,
            "lines": [{"sku": "tv-1", "amount": amount}],
        },
    )
    assert result["refundOrder"]["errors"] == [], result
    payload: dict[str, Any] = result["refundOrder"]["refund"]
    return payload


async def test_refunded_orders_take_back_the_task_reward_they_earned(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="Two orders",
        event="ORDER_PAID",
        window="MONTHLY",
        targetCount=2,
        rewardPoints=500,
    )
    await record_order(api, orderId="o-1", paidAt=clock.now().isoformat())
    await record_order(api, orderId="o-2", paidAt=clock.now().isoformat())
    assert (await my_tasks(api))["Two orders"]["status"] == "CLAIMED"
    assert await points(api) == {"balance": 500, "pending": 200, "owed": 0}
    await refund(api, "o-1", "rf-1")
    task = (await my_tasks(api))["Two orders"]
    assert (task["status"], task["progress"]["current"]) == ("IN_PROGRESS", 1)
    assert task["hint"] == "Place 1 more order to unlock 500 points"
    # The reward came back from the reward itself; the other order's points are untouched.
    assert await points(api) == {"balance": 0, "pending": 100, "owed": 0}
    await refund(api, "o-1", "rf-1")  # a replayed refund takes nothing more
    assert await points(api) == {"balance": 0, "pending": 100, "owed": 0}
    await record_order(api, orderId="o-3", paidAt=clock.now().isoformat())
    assert (await my_tasks(api))["Two orders"]["status"] == "CLAIMED"  # reached again: paid
    assert await points(api) == {"balance": 500, "pending": 200, "owed": 0}


async def test_a_spent_reward_is_owed_and_paid_off_by_the_next_earnings(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="First order",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=1,
        rewardPoints=300,
    )
    await record_order(api, paidAt=clock.now().isoformat())
    item = await create_item(api, pricePoints=300)
    assert (await redeem(api, "mei", item["id"], "r1"))["errors"] == []
    taken = await refund(api, "o-1", "rf-1")
    assert (taken["taken"], taken["owed"]) == (100, 0)  # the order's own points
    assert await points(api) == {"balance": 0, "pending": 0, "owed": 300}  # the reward
    await grant(api, "mei", 500)
    assert await points(api) == {"balance": 200, "pending": 0, "owed": 0}


async def test_an_order_refunded_below_a_tasks_minimum_stops_counting(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="Big order",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=1,
        rewardPoints=50,
        minOrderAmount=8_000,
        autoClaim=False,
    )
    await create_task(
        api,
        title="Any order",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=1,
        rewardPoints=20,
        autoClaim=False,
    )
    await record_order(api, paidAt=clock.now().isoformat())  # 100.00
    await refund(api, "o-1", "rf-1", amount=1_000)  # 90.00 kept: still big
    assert (await my_tasks(api))["Big order"]["status"] == "COMPLETED"
    await refund(api, "o-1", "rf-2", amount=2_000)  # 70.00 kept
    tasks = await my_tasks(api)
    assert tasks["Big order"]["progress"]["current"] == 0
    assert tasks["Any order"]["status"] == "COMPLETED"  # still an order


async def test_days_in_a_row_are_recounted_without_the_refunded_day(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="Three days",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=3,
        rewardPoints=150,
        consecutiveDays=True,
    )
    for day in range(3):
        await record_order(api, orderId=f"o-{day}", paidAt=clock.now().isoformat())
        clock.advance(timedelta(days=1))
    assert (await my_tasks(api))["Three days"]["status"] == "CLAIMED"
    await refund(api, "o-1", "rf-1")  # the middle day
    task = (await my_tasks(api))["Three days"]
    assert (task["status"], task["progress"]["current"]) == ("IN_PROGRESS", 1)
    assert (await points(api))["balance"] == 0


async def test_a_streak_reached_keeps_its_reward_when_a_later_day_is_refunded(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="Three days",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=3,
        rewardPoints=150,
        consecutiveDays=True,
    )
    for day in range(3):
        await record_order(api, orderId=f"o-{day}", paidAt=clock.now().isoformat())
        clock.advance(timedelta(days=1))
    clock.advance(timedelta(days=1))  # a gap, then two orders on day 5
    await record_order(api, orderId="late-a", paidAt=clock.now().isoformat())
    await record_order(api, orderId="late-b", paidAt=clock.now().isoformat())
    await refund(api, "late-b", "rf-b")
    assert (await points(api))["balance"] == 150  # days 1-3 still happened


async def test_a_refund_takes_back_no_more_than_the_task_paid(
    api: Api, clock: MovableClock
) -> None:
    task = await create_task(
        api, title="One order", event="ORDER_PAID", window="ONCE", targetCount=1, rewardPoints=50
    )
    await record_order(api, paidAt=clock.now().isoformat())
    await grant(api, "mei", 1_000)
    raised = await api.data(
        UPDATE_TASK,
        api.admin(),
        input={"taskId": task["id"], "rewardPoints": 500},
    )
    assert raised["updateTask"]["errors"] == []
    await refund(api, "o-1", "rf-1")
    assert await points(api) == {"balance": 1_000, "pending": 0, "owed": 0}  # 50 back, not 500


async def test_a_refund_below_the_minimum_takes_back_a_paid_reward(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="Big order",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=1,
        rewardPoints=50,
        minOrderAmount=8_000,
    )
    await record_order(api, paidAt=clock.now().isoformat())  # 100.00: pays 50 at once
    assert (await points(api))["balance"] == 50
    await refund(api, "o-1", "rf-1", amount=3_000)  # 70.00 kept
    assert (await points(api))["balance"] == 0
    assert (await my_tasks(api))["Big order"]["progress"]["current"] == 0


async def test_a_refunded_redemption_no_longer_counts_towards_redeem_tasks(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="Redeem once",
        event="REDEEM",
        window="MONTHLY",
        targetCount=1,
        rewardPoints=40,
    )
    await grant(api, "mei", 10)
    goods = await create_item(api, kind="PHYSICAL", virtualRight=None, pricePoints=10)
    made = await redeem(api, "mei", goods["id"], "r1", shippingAddress=ADDRESS)
    redemption = made["redemption"]["id"]
    await api.data(
        FULFILL,
        api.admin(),
        input={
            "redemptionId": redemption,
            "status": "SHIPPED",
            "carrier": "SF",
            "trackingNumber": "1",
        },
    )
    assert (await my_tasks(api))["Redeem once"]["status"] == "CLAIMED"
    assert (await points(api))["balance"] == 40
    refunded = await api.data(
        CANCEL, api.admin(), input={"redemptionId": redemption, "reason": "returned"}
    )
    assert refunded["cancelRedemption"]["redemption"]["status"] == "REFUNDED"
    assert (await my_tasks(api))["Redeem once"]["progress"]["current"] == 0
    assert (await points(api))["balance"] == 10  # the price back, the reward gone
