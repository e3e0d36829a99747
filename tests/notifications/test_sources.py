"""What tells the user something: every redemption step, points from check-ins, shares and
tasks, a task's tier reached; and the inbox pages through all of it."""

from __future__ import annotations

from typing import Any

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.engagement.helpers import CHECK_IN, create_task
from tests.mall.helpers import ADDRESS, CANCEL, FULFILL, REVIEW, create_item, grant, redeem

PAGE = """query($after: String) { me { notifications(first: 3, after: $after) {
  edges { cursor node { id __typename
    ... on PointsEarned { amount reason }
    ... on TaskCompleted { task { title } reward }
    ... on RedemptionUpdated { status redemption { status } } } }
  pageInfo { hasNextPage endCursor } } } }"""
SHARE = """mutation($input: ShareInput!) { share(input: $input) { errors { code } } }"""


async def everything(api: Api, user: str = "mei") -> list[dict[str, Any]]:
    """The whole inbox, oldest first, paged three at a time."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await api.data(PAGE, api.user(user), after=after))["me"]["notifications"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes[::-1]
        after = page["pageInfo"]["endCursor"]


async def test_every_step_of_a_redemption_is_told(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 20_000)
    goods = await create_item(
        api, kind="PHYSICAL", virtualRight=None, pricePoints=8_000, highValue=True
    )
    kept = (await redeem(api, "mei", goods["id"], "r1", shippingAddress=ADDRESS))["redemption"]
    dropped = (await redeem(api, "mei", goods["id"], "r2", shippingAddress=ADDRESS))["redemption"]
    await api.data(REVIEW, api.admin(), input={"redemptionId": kept["id"], "approve": True})
    rejected = await api.data(
        REVIEW,
        api.admin(),
        input={"redemptionId": dropped["id"], "approve": False, "reason": "address unclear"},
    )
    assert rejected["reviewRedemption"]["errors"] == []
    await api.data(
        FULFILL,
        api.admin(),
        input={
            "redemptionId": kept["id"],
            "status": "SHIPPED",
            "carrier": "SF",
            "trackingNumber": "1",
        },
    )
    await api.data(CANCEL, api.admin(), input={"redemptionId": kept["id"], "reason": "returned"})
    updates = [node for node in await everything(api) if node["__typename"] == "RedemptionUpdated"]
    told = [node["status"] for node in updates]
    assert told == [
        "PENDING_REVIEW",
        "PENDING_REVIEW",
        "CONFIRMED",  # approved
        "CANCELLED",  # rejected
        "SHIPPED",
        "REFUNDED",
    ]
    assert {node["redemption"]["status"] for node in updates} == {"REFUNDED", "CANCELLED"}


async def test_points_from_check_ins_shares_and_tasks_are_told(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api, title="Check in", event="CHECK_IN", window="DAILY", targetCount=1, rewardPoints=5
    )
    await api.data(CHECK_IN, api.user("mei"), key="c1")
    item = await create_item(api, title="Mug")
    await api.data(
        SHARE,
        api.user("mei"),
        input={"target": "ITEM", "targetId": item["id"], "idempotencyKey": "s1"},
    )
    told = [
        (node["__typename"], node.get("amount") or node.get("reward"))
        for node in await everything(api)
    ]
    assert told == [
        ("PointsEarned", 10),  # the check-in
        ("TaskCompleted", 5),
        ("PointsEarned", 5),  # the task's reward
        ("PointsEarned", 10),  # the share
    ]
    completed = next(
        node for node in await everything(api) if node["__typename"] == "TaskCompleted"
    )
    assert completed["task"] == {"title": "Check in"}
    assert await everything(api, "ana") == []
