"""The review queue live: admins see risk cases open and redemptions start waiting, as they
happen, in any worker (through the broker); users cannot listen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pointsmall.clock import MovableClock
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.mall.helpers import ADDRESS, create_item, grant, redeem
from tests.notifications.helpers import connected, subscriptions_in_place
from tests.risk.test_risk import RULE, cases, check_in_from

REVIEWS = """subscription { reviewQueued { __typename
  ... on RiskCase { id rule users caseStatus: status }
  ... on Redemption { id userId status points item { title } } } }"""


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_admins_see_cases_and_reviews_arrive_live(
    api: Api, clock: MovableClock, live_server: str, runtime: Runtime, protocol: str
) -> None:
    changed = await api.data(
        RULE, api.admin(), input={"code": "DEVICE_CHECK_IN_ACCOUNTS", "threshold": 2}
    )
    assert changed["updateRiskRule"]["errors"] == []
    ops = await connected(live_server, api.admin(), protocol)
    await ops.subscribe(REVIEWS)
    await subscriptions_in_place(runtime, 1)
    assert await ops.nothing_for(0.2)  # nothing first: the queue is read by queries
    await check_in_from(api, "farm-1", "phone-1")
    await check_in_from(api, "farm-2", "phone-1")
    arrived = (await ops.next_data())["reviewQueued"]
    [case] = await cases(api)
    assert arrived == {
        "__typename": "RiskCase",
        "id": case["id"],
        "rule": "DEVICE_CHECK_IN_ACCOUNTS",
        "users": ["farm-1", "farm-2"],
        "caseStatus": "OPEN",
    }
    await check_in_from(api, "farm-3", "phone-1")  # the same case grows: no new arrival
    assert await ops.nothing_for(0.3)
    tv = await create_item(
        api, kind="PHYSICAL", virtualRight=None, pricePoints=800, highValue=True, title="TV"
    )
    await grant(api, "mei", 1_000)
    clock.advance(timedelta(days=30))  # not a new account any more
    made = await redeem(api, "mei", tv["id"], "r-1", shippingAddress=ADDRESS)
    assert made["errors"] == [], made
    waiting = (await ops.next_data())["reviewQueued"]
    assert waiting == {
        "__typename": "Redemption",
        "id": made["redemption"]["id"],
        "userId": "mei",
        "status": "PENDING_REVIEW",
        "points": 800,
        "item": {"title": "TV"},
    }
    await ops.socket.close()


async def test_users_cannot_listen_to_the_review_queue(api: Api, live_server: str) -> None:
    user = await connected(live_server, api.user("mei"))
    operation = await user.subscribe(REVIEWS)
    refused = await user.receive()
    assert refused["id"] == operation and refused["payload"]["data"] is None
    assert refused["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await user.socket.close()


async def test_a_user_s_cases_and_who_redeemed(api: Api, clock: MovableClock) -> None:
    changed = await api.data(
        RULE, api.admin(), input={"code": "DEVICE_CHECK_IN_ACCOUNTS", "threshold": 2}
    )
    assert changed["updateRiskRule"]["errors"] == []
    for user in ("ann", "ben"):
        await check_in_from(api, user, "phone-1")
    clock.advance(timedelta(days=1))
    for user in ("ben", "cat"):
        await check_in_from(api, user, "phone-2", key="c-2")
    listed = await api.data(
        "query($u: String!) { riskCases(userId: $u, status: null) { users } }",
        api.admin(),
        u="ann",
    )
    assert listed["riskCases"] == [{"users": ["ann", "ben"]}]
    both = await api.data('{ riskCases(userId: "ben") { users } }', api.admin())
    assert [case["users"] for case in both["riskCases"]] == [["ann", "ben"], ["ben", "cat"]]
    assert await api.error_code('{ riskCases(userId: "nobody") { id } }', api.admin()) == (
        "NOT_FOUND"
    )
