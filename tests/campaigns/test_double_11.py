"""A Double 11: order points doubled for its audience during its window only, item prices
halved, the budget never exceeded, the cost shown; the lifecycle at its time edges."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.campaigns.lifecycle import status_of
from pointsmall.models import Campaign, CampaignChange, CampaignState, CampaignStatus
from tests.api import Api
from tests.audience.helpers import create_audience
from tests.campaigns.helpers import FIGURES, act, create_campaign
from tests.engagement.helpers import UPSERT, record_order
from tests.mall.helpers import QUOTE, create_item, grant, redeem

HOUR = timedelta(hours=1)
MECHANICS = [
    {"earnMultiplier": {"percent": 200}},
    {"spendDiscount": {"percent": 50}},
]


async def order_points(api: Api, order_id: str, clock: MovableClock, user: str = "mei") -> int:
    payload = await record_order(api, order_id=order_id, user=user, paidAt=clock.now().isoformat())
    assert payload["errors"] == [], payload
    return int(payload["order"]["points"])


async def test_double_points_and_half_prices_in_the_window_only(
    api: Api, clock: MovableClock
) -> None:
    await api.data(UPSERT, api.service(), input={"userId": "mei", "tags": ["shopper"]})
    await api.data(UPSERT, api.service(), input={"userId": "kai", "tags": []})
    shoppers = await create_audience(api, "Shoppers", {"tag": "shopper"})
    start = clock.now() + HOUR
    campaign = await create_campaign(
        api,
        start,
        start + 24 * HOUR,
        audienceId=shoppers,
        budgetPoints=10_000,
        preheatAt=(start - HOUR / 2).isoformat(),
        mechanics=MECHANICS,
    )
    assert campaign["status"] == "DRAFT"
    assert (await act(api, "publish", campaign["id"]))["campaign"]["status"] == "SCHEDULED"
    item = await create_item(api, title="Mug", pricePoints=301)
    await grant(api, "mei", 1_000)

    assert await order_points(api, "before", clock) == 100  # 1% of 100.00: not yet
    clock.set(start - HOUR / 4)
    shown = await api.data("{ me { campaigns { campaign { status } startsIn } } }", api.user("mei"))
    assert shown["me"]["campaigns"] == [{"campaign": {"status": "PREHEAT"}, "startsIn": 900}]
    clock.set(start)
    assert await order_points(api, "during", clock) == 200  # doubled
    assert await order_points(api, "other", clock, user="kai") == 100  # not in its audience
    quote = await api.data(QUOTE, api.user("mei"), input={"itemId": item["id"]})
    assert quote["redemptionQuote"]["points"] == 151  # half of 301, rounded up
    made = await redeem(api, "mei", item["id"], "r-1")
    assert made["redemption"]["points"] == 151
    clock.set(start + 24 * HOUR)
    assert await order_points(api, "after", clock) == 100  # over

    figures = (await api.data(FIGURES, api.admin(), id=campaign["id"]))["campaign"]
    assert figures["status"] == "ENDED"
    assert figures["figures"]["pointsIssued"] == 100 and figures["budgetSpent"] == 100
    assert figures["figures"]["participants"] == 1
    assert figures["figures"]["orders"] == 1 and figures["figures"]["orderValue"] == 10_000
    assert figures["figures"]["costPerOrder"] == 100.0
    assert figures["figures"]["budgetLeft"] == 9_900

    settled = await act(api, "settle", campaign["id"])
    assert settled["campaign"]["status"] == "SETTLED"  # nothing to pay: no ranking
    again = await act(api, "settle", campaign["id"])
    assert again["campaign"]["status"] == "SETTLED"  # settling again changes nothing
    history = await api.data(
        "query($id: ID!) { campaign(id: $id) { history { previous status actor } } }",
        api.admin(),
        id=campaign["id"],
    )
    assert [(m["previous"], m["status"]) for m in history["campaign"]["history"]] == [
        ("DRAFT", "DRAFT"),
        ("DRAFT", "SCHEDULED"),
        ("ENDED", "SETTLED"),
    ]


async def test_the_budget_runs_out_exactly(api: Api, clock: MovableClock) -> None:
    start = clock.now()
    campaign = await create_campaign(
        api, start, start + HOUR, budgetPoints=150, mechanics=[{"earnMultiplier": {"percent": 200}}]
    )
    await act(api, "publish", campaign["id"])
    assert await order_points(api, "a", clock) == 200
    assert await order_points(api, "b", clock) == 150  # 50 left of the budget
    assert await order_points(api, "c", clock) == 100  # spent: the programme's points only
    found = (await api.data(FIGURES, api.admin(), id=campaign["id"]))["campaign"]
    assert found["budgetSpent"] == 150


@pytest.mark.postgres
async def test_200_concurrent_earners_never_overspend(api: Api, clock: MovableClock) -> None:
    import asyncio

    start = clock.now()
    campaign = await create_campaign(
        api,
        start,
        start + HOUR,
        budgetPoints=1_000,
        mechanics=[{"earnMultiplier": {"percent": 200}}],
    )
    await act(api, "publish", campaign["id"])
    earned = await asyncio.gather(
        *(order_points(api, f"o-{n}", clock, user=f"u{n}") for n in range(200))
    )
    assert sum(earned) - 200 * 100 == 1_000  # exactly the budget, extra over the base
    stored = await Campaign.get(name="Double 11")
    assert stored.budget_spent == 1_000


@pytest.mark.parametrize(
    ("at", "status"),
    [
        (timedelta(hours=-2) - timedelta(seconds=1), CampaignStatus.SCHEDULED),
        (timedelta(hours=-2), CampaignStatus.PREHEAT),
        (timedelta(seconds=-1), CampaignStatus.PREHEAT),
        (timedelta(0), CampaignStatus.LIVE),
        (timedelta(hours=10) - timedelta(seconds=1), CampaignStatus.LIVE),
        (timedelta(hours=10), CampaignStatus.ENDED),
    ],
)
def test_time_moves_a_published_campaign_at_its_edges(
    at: timedelta, status: CampaignStatus
) -> None:
    start = datetime.fromisoformat("2026-11-11T00:00:00+08:00")
    campaign = Campaign(
        state=CampaignState.PUBLISHED,
        preheat_at=start - timedelta(hours=2),
        starts_at=start,
        ends_at=start + timedelta(hours=10),
    )
    assert status_of(campaign, start + at) is status


async def test_admins_move_it_and_every_move_is_recorded(api: Api, clock: MovableClock) -> None:
    start = clock.now() + HOUR
    campaign = await create_campaign(api, start, start + HOUR)
    refused = await act(api, "resume", campaign["id"])
    assert refused["errors"][0]["code"] == "INVALID_STATE"
    await act(api, "publish", campaign["id"])
    assert (await act(api, "pause", campaign["id"], reason="typo"))["campaign"][
        "status"
    ] == "PAUSED"
    assert (await act(api, "resume", campaign["id"]))["campaign"]["status"] == "SCHEDULED"
    assert (await act(api, "cancel", campaign["id"]))["campaign"]["status"] == "CANCELLED"
    clone = await act(api, "clone", campaign["id"])
    assert clone["campaign"]["status"] == "DRAFT"
    moves = await CampaignChange.filter(campaign__name="Double 11").order_by("id")
    assert [(m.previous, m.status, m.actor) for m in moves] == [
        ("DRAFT", "DRAFT", "ops-1"),
        ("DRAFT", "SCHEDULED", "ops-1"),
        ("SCHEDULED", "PAUSED", "ops-1"),
        ("PAUSED", "SCHEDULED", "ops-1"),
        ("SCHEDULED", "CANCELLED", "ops-1"),
    ]
