"""Tasks with progress bars and hints, tiers, claims, windows in the user's time zone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.audience.helpers import create_audience
from tests.engagement.helpers import (
    CHECK_IN,
    CREATE_TASK,
    RECORD_EVENT,
    UPSERT,
    create_task,
    my_tasks,
    points,
    record_order,
)
from tests.mall.helpers import ADDRESS, CANCEL, FULFILL, create_item, grant, redeem

CLAIM = """mutation($input: ClaimTaskRewardInput!) { claimTaskReward(input: $input) {
  reward task { status hint } errors { code message } } }"""


async def test_a_ladder_task_shows_progress_and_the_next_step(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="Shop this month",
        event="ORDER_PAID",
        window="MONTHLY",
        tiers=[
            {"target": 1, "reward": 50},
            {"target": 3, "reward": 100},
            {"target": 5, "reward": 200},
        ],
        autoClaim=False,
    )
    task = (await my_tasks(api))["Shop this month"]
    assert (task["status"], task["hint"]) == (
        "IN_PROGRESS",
        "Place 1 more order to unlock 50 points",
    )
    assert task["progress"] == {"current": 0, "target": 1, "percent": 0}
    assert (task["claimable"], task["nextReward"]) == (0, 50)
    await record_order(api, order_id="o-1")
    await record_order(api, order_id="o-2")
    task = (await my_tasks(api))["Shop this month"]
    assert task["status"] == "COMPLETED" and task["hint"] == "Claim your 50 points"
    assert (task["claimable"], task["nextReward"]) == (50, 100)  # never confused
    assert [tier["reached"] for tier in task["tiers"]] == [True, False, False]
    claimed = await api.data(
        CLAIM, api.user("mei"), input={"taskId": task["id"], "idempotencyKey": "c1"}
    )
    assert claimed["claimTaskReward"]["reward"] == 50
    assert claimed["claimTaskReward"]["task"]["hint"] == "Place 1 more order to unlock 100 points"
    retried = await api.data(
        CLAIM, api.user("mei"), input={"taskId": task["id"], "idempotencyKey": "c1"}
    )
    assert retried["claimTaskReward"]["reward"] == 50  # the same answer, nothing paid again
    other = await api.data(
        CLAIM, api.user("mei"), input={"taskId": task["id"], "idempotencyKey": "c2"}
    )
    assert other["claimTaskReward"]["errors"][0]["code"] == "INVALID_STATE"
    assert (await points(api))["balance"] == 50  # the orders themselves are still pending


async def test_automatic_rewards_pay_when_reached(api: Api, clock: MovableClock) -> None:
    await create_task(
        api, title="Review it", event="REVIEW", window="ONCE", targetCount=2, rewardPoints=30
    )
    for number in range(3):
        await api.data(
            RECORD_EVENT,
            api.service(),
            input={
                "eventId": f"e-{number}",
                "userId": "mei",
                "type": "REVIEW",
                "occurredAt": clock.now().isoformat(),
            },
        )
    task = (await my_tasks(api))["Review it"]
    assert (task["status"], task["hint"]) == ("CLAIMED", "All rewards claimed")
    assert (await points(api))["balance"] == 30


async def test_daily_tasks_restart_at_the_users_local_midnight(
    api: Api, clock: MovableClock
) -> None:
    await api.data(UPSERT, api.service(), input={"userId": "mei", "timezone": "Asia/Shanghai"})
    await create_task(
        api, title="Check in today", event="CHECK_IN", window="DAILY", targetCount=1, rewardPoints=5
    )
    await api.data(CHECK_IN, api.user("mei"), key="k1")  # 17:30 in Shanghai
    assert (await my_tasks(api))["Check in today"]["status"] == "CLAIMED"
    clock.advance(timedelta(hours=7))  # 00:30 next day in Shanghai, still 23 Nov in UTC
    task = (await my_tasks(api))["Check in today"]
    assert (task["status"], task["progress"]["current"]) == ("IN_PROGRESS", 0)


async def test_days_in_a_row(api: Api, clock: MovableClock) -> None:
    await create_task(
        api,
        title="Three days",
        event="CHECK_IN",
        window="ONCE",
        targetCount=3,
        rewardPoints=100,
        consecutiveDays=True,
        autoClaim=False,
    )
    await api.data(CHECK_IN, api.user("mei"), key="d1")
    clock.advance(timedelta(days=1))
    await api.data(CHECK_IN, api.user("mei"), key="d2")
    task = (await my_tasks(api))["Three days"]
    assert task["hint"] == "Check in 1 more day in a row to unlock 100 points"
    clock.advance(timedelta(days=2))  # missed a day: the run starts again
    assert (await my_tasks(api))["Three days"]["progress"]["current"] == 0
    await api.data(CHECK_IN, api.user("mei"), key="d4")
    assert (await my_tasks(api))["Three days"]["progress"]["current"] == 1


async def test_audiences_and_minimum_amounts(api: Api, clock: MovableClock) -> None:
    await api.data(UPSERT, api.service(), input={"userId": "mei", "tags": ["mother"]})
    mothers = await create_audience(api, "Mothers", {"tag": "mother"})
    await create_task(
        api,
        title="For mothers",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=1,
        rewardPoints=10,
        audienceId=mothers,
    )
    await create_task(
        api,
        title="Big order",
        event="ORDER_PAID",
        window="ONCE",
        targetCount=1,
        rewardPoints=10,
        minOrderAmount=50_000,
    )
    assert set(await my_tasks(api)) == {"For mothers", "Big order"}
    assert set(await my_tasks(api, "bob")) == {"Big order"}
    await record_order(api)  # 100.00: under the minimum
    tasks = await my_tasks(api)
    assert tasks["For mothers"]["status"] == "CLAIMED"
    assert tasks["Big order"]["status"] == "IN_PROGRESS"


async def test_tasks_end(api: Api, clock: MovableClock) -> None:
    await create_task(
        api,
        title="Black Friday",
        event="ORDER_PAID",
        window="DATE_RANGE",
        targetCount=2,
        rewardPoints=80,
        startsAt=clock.now().isoformat(),
        endsAt=(clock.now() + timedelta(days=3)).isoformat(),
    )
    await record_order(api, order_id="before-it-began")  # paid 09:00, the task began 09:30
    assert (await my_tasks(api))["Black Friday"]["progress"]["current"] == 0
    await record_order(api, order_id="during", paidAt=clock.now().isoformat())
    assert (await my_tasks(api))["Black Friday"]["progress"]["current"] == 1
    clock.advance(timedelta(days=4))
    task = (await my_tasks(api))["Black Friday"]
    assert (task["status"], task["hint"]) == ("EXPIRED", "This task has ended")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"targetCount": 0, "rewardPoints": 5}, "tiers"),
        ({"targetCount": 2}, "targetCount"),
        ({"tiers": [{"target": 3, "reward": 5}, {"target": 2, "reward": 5}]}, "tiers"),
        ({"targetCount": 1, "rewardPoints": 5, "window": "DATE_RANGE"}, "window"),
        ({"targetCount": 1, "rewardPoints": 5, "event": "CUSTOM"}, "customEvent"),
        (
            {"targetCount": 1, "rewardPoints": 5, "consecutiveDays": True, "window": "DAILY"},
            "consecutiveDays",
        ),
        (
            {"targetCount": 1, "rewardPoints": 5, "minOrderAmount": 5, "event": "SHARE"},
            "minOrderAmount",
        ),
        ({"targetCount": 1, "rewardPoints": 0}, "tiers"),
    ],
)
async def test_bad_tasks_are_refused(
    api: Api, clock: MovableClock, fields: dict[str, object], field: str
) -> None:
    task = {"title": "T", "event": "ORDER_PAID", "window": "ONCE", **fields}
    result = await api.data(CREATE_TASK, api.admin(), input=task)
    assert [error["field"] for error in result["createTask"]["errors"]] == [["input", field]]


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
