"""Member tiers: thresholds at their edge, upgrade at once, the benefits the product honours
(order multiplier stacking with the first-order one, check-in bonus), the yearly review
with its notice, and what users and ops see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.audience.tier_rules import TierRules
from pointsmall.domain.audience.tiers import review_tiers
from pointsmall.models import Account
from tests.api import Api
from tests.engagement.helpers import CHECK_IN, REFUND_ORDER, UPSERT, record_order
from tests.mall.helpers import grant

RULES = TierRules()
DAY = timedelta(days=1)
TIER = """{ me { tier { name level earnedThisYear next { name pointsToGo }
  progress { current target percent } benefits reviewAt } } }"""
INBOX = """{ me { notifications(first: 20) { edges { node { __typename
  ... on TierChanged { previous tier up }
  ... on TierReviewSoon { tier pointsToKeep reviewAt } } } } } }"""


@pytest.mark.parametrize(
    ("earned", "tier"),
    [(0, "Silver"), (4_999, "Silver"), (5_000, "Gold"), (19_999, "Gold"), (20_000, "Platinum")],
)
def test_each_threshold_at_its_edge(earned: int, tier: str) -> None:
    assert RULES.tier_for(earned).name == tier


async def tier_of(api: Api, user: str = "mei") -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(TIER, api.user(user)))["me"]["tier"]
    return found


async def told(api: Api, user: str = "mei") -> list[dict[str, Any]]:
    edges = (await api.data(INBOX, api.user(user)))["me"]["notifications"]["edges"]
    return [edge["node"] for edge in edges if edge["node"]["__typename"].startswith("Tier")]


async def test_earning_moves_a_user_up_at_once(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 4_999)
    silver = await tier_of(api)
    assert silver["name"] == "Silver" and silver["earnedThisYear"] == 4_999
    assert silver["next"] == {"name": "Gold", "pointsToGo": 1}
    assert silver["progress"] == {"current": 4_999, "target": 5_000, "percent": 99}
    assert silver["reviewAt"] is None
    await grant(api, "mei", 1)
    gold = await tier_of(api)
    assert (gold["name"], gold["level"]) == ("Gold", 1)
    assert gold["next"] == {"name": "Platinum", "pointsToGo": 15_000}
    assert gold["benefits"] == [
        "Order points x1.25",
        "+5 points on every check-in",
        "Items and tasks for Gold members",
    ]
    assert datetime.fromisoformat(gold["reviewAt"]) == clock.now() + 365 * DAY
    assert await told(api) == [
        {"__typename": "TierChanged", "previous": "Silver", "tier": "Gold", "up": True}
    ]


async def test_points_a_refund_took_back_do_not_count(api: Api, clock: MovableClock) -> None:
    await record_order(api, paidAt=clock.now().isoformat())  # 1% of 100.00: 100 points
    await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "r-1", "lines": [{"sku": "tv-1", "amount": 10_000}]},
    )
    assert (await tier_of(api))["earnedThisYear"] == 0


async def test_a_gold_new_users_first_order_earns_both_multipliers(
    api: Api, clock: MovableClock
) -> None:
    """x2 for a NEW user's first order times x1.25 for Gold: x2.5, rounded down per line."""
    registered = (clock.now() - DAY).isoformat()
    await api.data(UPSERT, api.service(), input={"userId": "mei", "registeredAt": registered})
    await grant(api, "mei", 5_000)
    paid = clock.now().isoformat()
    lines = [
        {"sku": "a", "category": "books", "amount": 10_000, "currency": "USD"},  # 100 points
        {"sku": "b", "category": "books", "amount": 1_010, "currency": "USD"},  # 10 points
    ]
    first = await record_order(api, paidAt=paid, lines=lines)
    assert first["order"]["firstOrderBonus"] is True
    assert [line["points"] for line in first["order"]["lines"]] == [250, 25]
    second = await record_order(api, order_id="o-2", paidAt=paid, lines=lines)
    assert [line["points"] for line in second["order"]["lines"]] == [125, 12]


async def test_a_gold_member_earns_the_check_in_bonus(api: Api) -> None:
    await grant(api, "mei", 5_000)
    done = await api.data(CHECK_IN, api.user("mei"), key="c-1")
    assert done["checkIn"]["checkIn"]["reward"] == 10 + 5
    status = await api.data("{ me { checkIn { nextReward } } }", api.user("mei"))
    assert status["me"]["checkIn"]["nextReward"] == 10 + 5


async def test_the_yearly_review_warns_then_moves_down_only_when_due(
    api: Api, clock: MovableClock
) -> None:
    start = clock.now()
    await grant(api, "mei", 3_000, key="first")
    clock.advance(10 * DAY)
    await grant(api, "mei", 2_000, key="second")  # Gold, reviewed a year from now
    await grant(api, "kai", 6_000)  # Gold too, and will have earned enough
    clock.set(start + 300 * DAY)
    await grant(api, "kai", 5_000, key="kai-again")
    assert await review_tiers(clock.now(), RULES) == 0  # nothing due, no one to warn yet

    clock.set(start + 366 * DAY)  # mei's first 3,000 aged out: 2,000 in the last year
    assert await review_tiers(clock.now(), RULES) == 0  # due in 9 days: a notice only
    assert await review_tiers(clock.now(), RULES) == 0  # told once
    assert (await tier_of(api))["name"] == "Gold"
    notices = [notice for notice in await told(api) if notice["__typename"] == "TierReviewSoon"]
    assert [(n["tier"], n["pointsToKeep"]) for n in notices] == [("Gold", 3_000)]
    assert datetime.fromisoformat(notices[0]["reviewAt"]) == start + 375 * DAY
    assert await told(api, "kai") == [
        {"__typename": "TierChanged", "previous": "Silver", "tier": "Gold", "up": True}
    ]  # kai keeps Gold: no notice

    clock.set(start + 376 * DAY)
    assert await review_tiers(clock.now(), RULES) == 1
    assert (await tier_of(api))["name"] == "Silver"
    assert (await tier_of(api, "kai"))["name"] == "Gold"  # kept, reviewed a year on
    kai = await Account.get(user_id="kai")
    assert kai.tier_review_at == clock.now() + 365 * DAY
    assert {"__typename": "TierChanged", "previous": "Gold", "tier": "Silver", "up": False} in (
        await told(api)
    )
    figures = await api.data(
        "{ segmentFigures { tierSizes { tier users } tierMoves { previous segment users } } }",
        api.admin(),
    )
    sizes = {row["tier"]: row["users"] for row in figures["segmentFigures"]["tierSizes"]}
    assert sizes == {"Silver": 1, "Gold": 1, "Platinum": 0}
    assert figures["segmentFigures"]["tierMoves"] == [
        {"previous": "Gold", "segment": "Silver", "users": 1}
    ]
