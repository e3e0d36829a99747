"""The durable inbox: stored before published, listed, counted, marked read; expiry
warnings and matured points once each, however often the jobs run."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from pointsmall.clock import MovableClock
from pointsmall.domain.notifications.inbox import announce_matured, warn_expiring
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.engagement.helpers import REFUND_ORDER, record_order
from tests.mall.helpers import create_item, grant, redeem

INBOX = """query($unread: Boolean) { me { unreadNotificationCount
  notifications(first: 10, unreadOnly: $unread) { edges { node { id __typename read
    ... on PointsEarned { amount reason balance }
    ... on PointsExpiringSoon { amount withinDays }
    ... on RedemptionUpdated { redemption { status } } } } } } }"""
MARK = """mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) {
  marked unreadCount errors { code field } } }"""


async def inbox(api: Api, user: str = "mei", unread: bool = False) -> dict[str, Any]:
    me: dict[str, Any] = (await api.data(INBOX, api.user(user), unread=unread))["me"]
    return me


def kinds(me: dict[str, Any]) -> list[str]:
    return [edge["node"]["__typename"] for edge in me["notifications"]["edges"]]


async def test_earnings_and_redemptions_land_in_the_inbox(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 300)
    item = await create_item(api, pricePoints=100)
    await redeem(api, "mei", item["id"], "r1")
    me = await inbox(api)
    assert kinds(me) == ["RedemptionUpdated", "PointsEarned"]  # newest first
    earned = me["notifications"]["edges"][1]["node"]
    assert (earned["amount"], earned["reason"], earned["balance"]) == (300, "test grant", 300)
    assert me["notifications"]["edges"][0]["node"]["redemption"]["status"] == "CONFIRMED"
    assert me["unreadNotificationCount"] == 2
    assert kinds(await inbox(api, "ana")) == []  # nobody else sees them


async def test_marking_read(api: Api, clock: MovableClock) -> None:
    for number in range(3):
        await grant(api, "mei", 10 + number, f"g{number}")
    me = await inbox(api)
    first = me["notifications"]["edges"][0]["node"]["id"]
    result = await api.data(MARK, api.user("mei"), input={"ids": [first]})
    assert result["markNotificationsRead"] == {"marked": 1, "unreadCount": 2, "errors": []}
    assert len(kinds(await inbox(api, unread=True))) == 2
    bad = await api.data(MARK, api.user("mei"), input={"ids": [first], "all": True})
    assert bad["markNotificationsRead"]["errors"][0]["field"] == ["input", "ids"]
    others = await api.data(MARK, api.user("ana"), input={"ids": [first]})
    assert others["markNotificationsRead"]["marked"] == 0  # not hers
    done = await api.data(MARK, api.user("mei"), input={"all": True})
    assert done["markNotificationsRead"]["unreadCount"] == 0


async def test_expiry_warnings_go_out_once_per_date_and_threshold(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    await grant(api, "mei", 40, "a", expiresAt=(clock.now() + timedelta(days=2)).isoformat())
    await grant(
        api, "mei", 60, "b", expiresAt=(clock.now() + timedelta(days=2, hours=1)).isoformat()
    )
    await grant(api, "mei", 500, "later")
    runs = await asyncio.gather(*(warn_expiring(runtime.rules) for _ in range(5)))
    assert sum(runs) == 1
    assert await warn_expiring(runtime.rules) == 0
    clock.advance(timedelta(days=1, hours=12))  # now within a day: the last chance
    assert await warn_expiring(runtime.rules) == 1
    warnings = [
        edge["node"]
        for edge in (await inbox(api))["notifications"]["edges"]
        if edge["node"]["__typename"] == "PointsExpiringSoon"
    ]
    assert [(warning["amount"], warning["withinDays"]) for warning in warnings] == [
        (100, 1),
        (100, 3),
    ]


async def test_warnings_go_out_in_batches_each_user_once_per_day_frozen_ones_not(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    users = [f"user-{number}" for number in range(5)]
    for number, user in enumerate(users):
        for day in (1, 2):  # expiring on two dates (within 1 day, within 3): two warnings
            expires = clock.now() + timedelta(hours=20 * day, minutes=number)
            await grant(
                api, user, 10 * day + number, f"{user}-{day}", expiresAt=expires.isoformat()
            )
    await api.data(
        """mutation($input: FreezeAccountInput!) { freezeAccount(input: $input) {
      errors { code } } }""",
        api.admin(),
        input={"userId": "user-4", "reason": "review"},
    )
    assert await warn_expiring(runtime.rules, batch_size=2) == 8  # user-4 is frozen
    assert await warn_expiring(runtime.rules, batch_size=2) == 0
    for number, user in enumerate(users[:4]):
        warnings = [
            (node["amount"], node["withinDays"])
            for node in (
                edge["node"] for edge in (await inbox(api, user))["notifications"]["edges"]
            )
            if node["__typename"] == "PointsExpiringSoon"
        ]
        assert warnings == [(20 + number, 3), (10 + number, 1)]  # newest first
    assert "PointsExpiringSoon" not in kinds(await inbox(api, "user-4"))


async def test_pending_order_points_are_announced_when_they_mature(
    api: Api, clock: MovableClock
) -> None:
    await record_order(api, paidAt=clock.now().isoformat())
    await record_order(api, orderId="o-2", paidAt=clock.now().isoformat())
    await api.data(  # 70% of the second order comes back before its points mature
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-2", "refundId": "rf", "lines": [{"sku": "tv-1", "amount": 7_000}]},
    )
    assert kinds(await inbox(api)) == []  # pending: nothing to spend yet
    clock.advance(timedelta(days=7, minutes=1))
    assert await announce_matured() == 2
    assert await announce_matured() == 0
    clock.advance(timedelta(days=2))  # the jobs run again later: still told only once
    assert await announce_matured() == 0
    me = await inbox(api)
    assert kinds(me) == ["PointsEarned", "PointsEarned"]
    amounts = sorted(edge["node"]["amount"] for edge in me["notifications"]["edges"])
    assert amounts == [30, 100]  # what is left to spend, not what was first earned
