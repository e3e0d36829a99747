"""A page of the inbox costs the same few queries however long, with each notice's
redemption, its item and each completed task asked for."""

from __future__ import annotations

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.conftest import SqlLog
from tests.engagement.helpers import RECORD_EVENT, create_task
from tests.mall.helpers import create_item, grant, redeem

INBOX = """query($first: Int!) { me { unreadNotificationCount notifications(first: $first) {
  edges { cursor node { id createdAt read __typename
    ... on PointsEarned { amount reason balance }
    ... on PointsExpiringSoon { amount expiresAt withinDays }
    ... on RedemptionUpdated {
      redemption { id status couponCode item { id title remainingStock } } }
    ... on TaskCompleted { task { id title status progress { current target } } reward } } }
  pageInfo { hasNextPage endCursor } } } }"""


async def test_a_page_of_the_inbox_costs_the_same_queries_however_long(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    await grant(api, "mei", 100_000)
    for number in range(5):  # each round: a task reached, its reward, a redemption
        await create_task(
            api,
            title=f"Review {number}",
            event="REVIEW",
            window="ONCE",
            targetCount=1,
            rewardPoints=5,
        )
        await api.data(
            RECORD_EVENT,
            api.service(),
            input={"eventId": f"e{number}", "userId": "mei", "type": "REVIEW"},
        )
        item = await create_item(api, title=f"Item {number}", limited=True, stock=10)
        await redeem(api, "mei", item["id"], f"r{number}")
    _, short = await sql_log.count(api.data(INBOX, api.user("mei"), first=3))
    data, long = await sql_log.count(api.data(INBOX, api.user("mei"), first=15))
    told = [edge["node"]["__typename"] for edge in data["me"]["notifications"]["edges"]]
    assert told.count("RedemptionUpdated") == told.count("TaskCompleted") == 5
    # The caller, the unread count, the page; redemptions, their codes and items; the
    # user's tasks, their progress and balance.
    assert short == long <= 9, sql_log.statements
