"""The other mechanics: bonuses once per user, a check-in schedule, a POINTS_EARNED
ranking, previews and prices that include what runs; the job that tells a campaign starts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pointsmall.clock import MovableClock
from pointsmall.jobs.campaigns import campaign_clock
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.campaigns.helpers import JOIN, act, create_campaign
from tests.engagement.helpers import CHECK_IN, record_order
from tests.mall.helpers import create_item, grant

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PREVIEW = """query($lines: [OrderLineInput!]!) { orderPointsPreview(lines: $lines) {
  points linePoints firstOrderBonus tierPercent campaignPoints } }"""
LINES = [
    {"sku": "tv", "category": "electronics", "amount": 10_000, "currency": "USD"},
    {"sku": "tea", "category": "groceries", "amount": 10_000, "currency": "USD"},
]


async def earned(api: Api, user: str = "mei") -> int:
    found = await api.data("{ me { points { balance pending } } }", api.user(user))
    points: dict[str, int] = found["me"]["points"]
    return points["balance"] + points["pending"]


async def test_an_order_bonus_is_paid_once(api: Api, clock: MovableClock) -> None:
    start = clock.now()
    mechanics = [
        {"bonus": {"trigger": "FIRST_ORDER", "points": 50}},
        {"bonus": {"trigger": "ORDERS", "count": 2, "points": 200}},
    ]
    campaign = await create_campaign(api, start, start + DAY, mechanics=mechanics)
    await act(api, "publish", campaign["id"])
    paid = clock.now().isoformat()
    await record_order(api, order_id="o-1", paidAt=paid)
    assert await earned(api) == 100 + 50
    await record_order(api, order_id="o-2", paidAt=paid)
    await record_order(api, order_id="o-3", paidAt=paid)
    assert await earned(api) == 300 + 50 + 200  # each bonus once


async def test_an_order_paid_before_the_window_counts_for_nothing(
    api: Api, clock: MovableClock
) -> None:
    start = clock.now()
    mechanics = [
        {"bonus": {"trigger": "FIRST_ORDER", "points": 50}},
        {"ranking": {"metric": "ORDERS", "prizes": [{"fromRank": 1, "toRank": 1, "points": 5}]}},
    ]
    campaign = await create_campaign(api, start, start + DAY, mechanics=mechanics)
    await act(api, "publish", campaign["id"])
    told_late = (start - HOUR).isoformat()  # the shop sends it now: paid an hour before
    await record_order(api, order_id="late", paidAt=told_late)
    assert await earned(api) == 100  # no bonus
    mine = await api.data("{ me { campaigns { progress } } }", api.user("mei"))
    assert mine["me"]["campaigns"] == [{"progress": 0}]  # no ranking score


async def test_a_campaign_check_in_schedule(api: Api, clock: MovableClock) -> None:
    start = clock.now()
    mechanics = [{"checkInRewards": {"rewards": [5, 50]}}]
    campaign = await create_campaign(api, start, start + 3 * DAY, mechanics=mechanics)
    await act(api, "publish", campaign["id"])
    rewards = []
    for day in range(4):
        done = await api.data(CHECK_IN, api.user("mei"), key=f"d{day}")
        rewards.append(done["checkIn"]["checkIn"]["reward"])
        clock.advance(DAY)
    assert rewards == [5, 50, 5, 10]  # the campaign's days, then the programme's again


async def test_a_points_earned_ranking_counts_every_source(api: Api, clock: MovableClock) -> None:
    start = clock.now()
    ranking = {
        "ranking": {
            "metric": "POINTS_EARNED",
            "prizes": [{"fromRank": 1, "toRank": 1, "points": 10}],
        }
    }
    campaign = await create_campaign(
        api, start, start + DAY, enrolment="REQUIRED", mechanics=[ranking]
    )
    await act(api, "publish", campaign["id"])
    for user in ("mei", "kai"):
        joined = await api.data(JOIN, api.user(user), input={"campaignId": campaign["id"]})
        assert joined["joinCampaign"]["errors"] == []
    await grant(api, "kai", 70)
    await record_order(api, order_id="o-1", paidAt=clock.now().isoformat())  # 100 points
    await api.data(CHECK_IN, api.user("kai"), key="k-1")  # 10 points
    mine = await api.data("{ me { campaigns { progress rank } } }", api.user("mei"))
    assert mine["me"]["campaigns"] == [{"progress": 100, "rank": 1}]
    theirs = await api.data("{ me { campaigns { progress rank } } }", api.user("kai"))
    assert theirs["me"]["campaigns"] == [{"progress": 80, "rank": 2}]


async def test_previews_and_prices_include_running_campaigns(api: Api, clock: MovableClock) -> None:
    start = clock.now() + HOUR
    mechanics = [
        {"earnMultiplier": {"percent": 300, "categories": ["electronics"]}},
        {"spendDiscount": {"percent": 20, "categories": ["home"]}},
    ]
    campaign = await create_campaign(api, start, start + DAY, budgetPoints=150, mechanics=mechanics)
    await act(api, "publish", campaign["id"])
    await create_item(api, title="Lamp", category="home", pricePoints=1_000)
    item_query = "{ items { edges { node { title pricePoints yourPricePoints affordable } } } }"
    await grant(api, "mei", 900)

    before: dict[str, Any] = await api.data(PREVIEW, api.user("mei"), lines=LINES)
    assert before["orderPointsPreview"]["linePoints"] == [100, 100]
    clock.set(start)
    during = (await api.data(PREVIEW, api.user("mei"), lines=LINES))["orderPointsPreview"]
    assert during == {
        "points": 350,  # 100 x3 on electronics, but the budget has 150 for the extra 200
        "linePoints": [250, 100],
        "firstOrderBonus": False,
        "tierPercent": 100,
        "campaignPoints": 150,
    }
    [lamp] = (await api.data(item_query, api.user("mei")))["items"]["edges"]
    assert lamp["node"] == {
        "title": "Lamp",
        "pricePoints": 1_000,
        "yourPricePoints": 800,
        "affordable": True,
    }
    refused = await api.post(PREVIEW, api.user("mei"), lines=[{**LINES[0], "currency": "EUR"}])
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_participants_are_told_a_campaign_starts(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    start = clock.now() + HOUR
    preheat = clock.now() + HOUR / 2
    campaign = await create_campaign(
        api, start, start + DAY, enrolment="REQUIRED", preheatAt=preheat.isoformat()
    )
    await act(api, "publish", campaign["id"])  # SCHEDULED
    job = campaign_clock(runtime)
    clock.set(preheat)
    assert await job.run() == {"moved": 1, "told": 0, "settled": 0}  # PREHEAT
    await api.data(JOIN, api.user("mei"), input={"campaignId": campaign["id"]})
    clock.set(start)
    assert await job.run() == {"moved": 1, "told": 1, "settled": 0}  # LIVE
    assert await job.run() == {"moved": 0, "told": 0, "settled": 0}
    inbox = await api.data(
        "{ me { notifications(first: 5) { edges { node { __typename "
        "... on CampaignStarting { campaignName startsAt } } } } } }",
        api.user("mei"),
    )
    nodes = [edge["node"] for edge in inbox["me"]["notifications"]["edges"]]
    assert nodes == [
        {
            "__typename": "CampaignStarting",
            "campaignName": "Double 11",
            "startsAt": start.isoformat(),
        }
    ]
    clock.set(start + DAY)
    assert await job.run() == {"moved": 1, "told": 0, "settled": 1}
    listed = await api.data("{ campaigns(status: SETTLED) { name } }", api.admin())
    assert listed["campaigns"] == [{"name": "Double 11"}]
