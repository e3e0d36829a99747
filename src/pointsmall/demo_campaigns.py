"""The demo's campaigns: one in every state, and a panel of users whose last two weeks give
the A/B test (a fixed 10-point check-in against 5 to 20 at random, judged by 7-day
retention), the order race and the settled double-points weekend their figures.

They are played after the rest of the demo, with the clock taken back two weeks: the ids
of everything before stay as they were (the README's examples name some).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from pointsmall.clock import MovableClock
from pointsmall.domain.actors import Actor
from pointsmall.domain.campaigns import lifecycle, settlement
from pointsmall.domain.campaigns.lifecycle import CampaignFields
from pointsmall.domain.campaigns.participation import variant_of
from pointsmall.domain.engagement import checkins, orders
from pointsmall.domain.engagement.orders import OrderLine
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.ledger.accounts import ProfileUpdate, upsert_profile
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Campaign, Enrolment

OPS = Actor(user_id="ops-admin", role="admin", request_id="demo-seed")
SHOP = Actor(user_id="shop-backend", role="service", request_id="demo-seed")
PANEL = 30
DAY = timedelta(days=1)
CHECK_IN_TEST = "Check-in reward test"


def _chance(*parts: object) -> float:
    """A number in [0, 1) the same in every demo."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


async def seed_campaigns(
    moving: MovableClock, now: datetime, rules: LedgerRules, engagement: EngagementRules
) -> None:
    start = now - 15 * DAY
    moving.set(start)
    test = await _campaign(
        CHECK_IN_TEST,
        start,
        now + 5 * DAY,
        description="Does a surprise check-in reward bring users back more than a fixed one?",
        variants=[
            {"name": "fixed 10", "weight": 1, "checkInReward": {"min": 10, "max": 10}},
            {"name": "random 5-20", "weight": 1, "checkInReward": {"min": 5, "max": 20}},
        ],
    )
    race = await _campaign(
        "Order race",
        now - 7 * DAY,
        now + 7 * DAY,
        description="The most orders in two weeks win points.",
        budget_points=20_000,
        mechanics=[
            {
                "kind": "RANKING",
                "metric": "ORDERS",
                "prizes": [
                    {"fromRank": 1, "toRank": 1, "points": 2_000},
                    {"fromRank": 2, "toRank": 5, "points": 500},
                ],
            }
        ],
    )
    weekend = await _campaign(
        "Double points weekend",
        now - 12 * DAY,
        now - 10 * DAY,
        description="Every order earns double points, and the top earners win more.",
        budget_points=5_000,
        mechanics=[
            {"kind": "EARN_MULTIPLIER", "percent": 200, "categories": []},
            {
                "kind": "RANKING",
                "metric": "POINTS_EARNED",
                "prizes": [{"fromRank": 1, "toRank": 3, "points": 300}],
            },
        ],
    )
    for published in (test, race, weekend):
        await lifecycle.act(published.id, "publish", OPS)
    await _panel(moving, now, rules, engagement, weekend)
    moving.set(now)
    await _other_states(now)


async def _campaign(name: str, starts: datetime, ends: datetime, **fields: Any) -> Campaign:
    return await lifecycle.create_campaign(CampaignFields(name, starts, ends, **fields), OPS)


async def _panel(
    moving: MovableClock,
    now: datetime,
    rules: LedgerRules,
    engagement: EngagementRules,
    weekend: Campaign,
) -> None:
    """Thirty users' two weeks: check-ins (those of the random variant come back a little
    more often), and orders now and then."""
    start = now - 15 * DAY
    for number in range(1, PANEL + 1):
        user = f"panel-{number:02d}"
        await upsert_profile(
            ProfileUpdate(user, nickname=f"Panel {number:02d}", registered_at=start - 30 * DAY)
        )
    test = await Campaign.get(name=CHECK_IN_TEST)
    for day in range(15):
        moment = start + day * DAY + timedelta(hours=9)
        for number in range(1, PANEL + 1):
            user = f"panel-{number:02d}"
            moving.set(moment + timedelta(minutes=number))
            account = await Account.get(user_id=user)
            loyal = 0.75 if variant_of(test, user) == "random 5-20" else 0.6
            if day == 0 or _chance(user, day) < loyal:
                await checkins.check_in(account.id, f"panel-{day}", SHOP, rules, engagement)
            if _chance(user, day, "order") < 0.15:
                line = OrderLine("mug-1", "home", 2_000 + 100 * number, engagement.currency)
                await orders.record_order(
                    f"panel-{user}-{day}", user, moving.now(), [line], SHOP, rules, engagement
                )
        if moment >= weekend.ends_at and weekend.settled_at is None:
            moving.set(weekend.ends_at + timedelta(hours=1))
            await settlement.settle(weekend.id, OPS, rules, moving.now())
            weekend.settled_at = moving.now()


async def _other_states(now: datetime) -> None:
    """A scheduled holiday week (preheating soon), a draft, a paused and a cancelled one."""
    holiday = await _campaign(
        "Holiday check-in week",
        now + 20 * DAY,
        now + 27 * DAY,
        preheat_at=now + 17 * DAY,
        description="Check in every day of the holiday week: 20 points a day, 100 on the 7th.",
        mechanics=[{"kind": "CHECK_IN_REWARDS", "rewards": [20, 20, 20, 20, 20, 20, 100]}],
    )
    await lifecycle.act(holiday.id, "publish", OPS)
    await _campaign(
        "Spring sale",
        now + 90 * DAY,
        now + 97 * DAY,
        description="Every item 30% fewer points.",
        mechanics=[{"kind": "SPEND_DISCOUNT", "percent": 30, "categories": []}],
    )
    promo = await _campaign(
        "Partner promo",
        now - DAY,
        now + 6 * DAY,
        description="Join to earn triple points on electronics.",
        enrolment=Enrolment.REQUIRED,
        capacity=500,
        form_fields=[
            {"name": "size", "kind": "CHOICE", "required": True, "choices": ["S", "M", "L"]}
        ],
        mechanics=[{"kind": "EARN_MULTIPLIER", "percent": 300, "categories": ["electronics"]}],
    )
    await lifecycle.act(promo.id, "publish", OPS)
    await lifecycle.act(promo.id, "pause", OPS, "the partner's terms are being checked")
    flash = await _campaign("Flash event", now + 2 * DAY, now + 3 * DAY)
    await lifecycle.act(flash.id, "cancel", OPS, "moved to next month")
