"""The demo's year and today's review queue, for the ops console.

Played after the rest of the demo (so every id the README uses stays as it was), with the
clock taken back: members who joined over the past year buy now and then (some stop
buying, as real customers do), spend points on services and tickets, and get quarterly
promotion points that expire after six weeks, unspent by many: the programme's figures
then have a year of issued, redeemed and expired points, breakage and liability to plot.
Today, twenty accounts check in from one phone (an open risk case) and an account opened
today redeems a high-value item (a case, and a redemption waiting for review).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial

from pointsmall import clock
from pointsmall.clock import MovableClock
from pointsmall.domain.actors import Actor
from pointsmall.domain.campaigns import lifecycle
from pointsmall.domain.campaigns.lifecycle import CampaignFields
from pointsmall.domain.engagement import checkins, orders
from pointsmall.domain.engagement.orders import OrderLine
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.errors import DomainError
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import ProfileUpdate, upsert_profile
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.redemptions import RedeemRequest, ShippingAddress, redeem
from pointsmall.domain.risk.checks import keyed_hash
from pointsmall.models import Account, Item

SHOP = Actor(user_id="shop-backend", role="service", request_id="demo-seed")
OPS = Actor(user_id="ops-admin", role="admin", request_id="demo-seed")
YEAR = timedelta(days=365)
MEMBERS = 36
BASKETS = [
    [("phone-case", "electronics", 2_900), ("coffee-beans", "groceries", 1_450)],
    [("yoga-mat", "sports", 3_900)],
    [("headphones-usb", "electronics", 12_900)],
    [("green-tea", "groceries", 890), ("oat-milk", "groceries", 690)],
    [("running-shoes", "fashion", 8_900)],
    [("desk-lamp", "home", 4_500), ("light-bulbs", "home", 1_200)],
]
SPENDS = ("Free shipping on your next order", "Two movie tickets")
PROMOTIONS = (300, 210, 120, 30)  # days ago: quarterly promotion points, six weeks to spend
FARM_ACCOUNTS = 20
NEWCOMER_ADDRESS = ShippingAddress(
    recipient="Sam New",
    line1="1 Harbour Street",
    city="Shenzhen",
    postal_code="518000",
    country="CN",
)

Step = Callable[[], Awaitable[object]]


async def seed_year(
    moving: MovableClock, now: datetime, rules: LedgerRules, engagement: EngagementRules
) -> None:
    """The members' year, played in time order; the expiry sweep once a week."""
    steps: list[tuple[datetime, int, Step]] = []

    def at(moment: datetime, step: Step) -> None:
        steps.append((moment, len(steps), step))

    start = now - YEAR
    for number in range(1, MEMBERS + 1):
        user = f"member-{number:02d}"
        joined = start + timedelta(days=(number * 11) % 180, hours=number % 12)
        at(joined, partial(_join, user, number))
        stops = joined + timedelta(days=120 + (number * 53) % 400)  # some stop buying
        paid, count = joined + timedelta(days=1 + number % 6), 0
        while paid < min(stops, now - timedelta(days=2)):
            basket = BASKETS[(number + count) % len(BASKETS)]
            at(paid, partial(_order, f"m{number}-{count}", user, basket, rules, engagement))
            if (number + count) % 4 == 0:  # now and then, points are spent
                title = SPENDS[(number + count) % len(SPENDS)]
                at(paid + timedelta(days=9), partial(_spend, user, title, count, rules))
            paid += timedelta(days=16 + (number * 7 + count * 5) % 30)
            count += 1
        for ago in PROMOTIONS:
            moment = now - timedelta(days=ago)
            if moment > joined:
                at(moment, partial(_promotion, user, ago, rules))
    for week in range(52, 0, -1):
        at(now - timedelta(weeks=week, hours=-2), expire_due_points)
    for moment, _, step in sorted(steps, key=lambda entry: entry[:2]):
        moving.set(moment)
        await step()
    moving.set(now)
    await expire_due_points()


async def _join(user: str, number: int) -> None:
    nickname = f"Member {number:02d}"
    await upsert_profile(
        ProfileUpdate(user, nickname=nickname, timezone="Asia/Shanghai", registered_at=clock.now())
    )


async def _order(
    order_id: str,
    user: str,
    basket: list[tuple[str, str, int]],
    rules: LedgerRules,
    engagement: EngagementRules,
) -> None:
    lines = [
        OrderLine(sku, category, amount, engagement.currency) for sku, category, amount in basket
    ]
    await orders.record_order(order_id, user, clock.now(), lines, SHOP, rules, engagement)


async def _spend(user: str, title: str, count: int, rules: LedgerRules) -> None:
    item = await Item.get(title=title)
    account = await Account.get(user_id=user)
    request = RedeemRequest(
        user, item.id, 1, f"year-{user}-{count}", Actor(user, "user", "demo-seed"), None
    )
    with contextlib.suppress(DomainError):  # not enough points yet: another time
        await redeem(
            request, gate=None, open_account=partial(Account.get, id=account.id), rules=rules
        )


async def _promotion(user: str, ago: int, rules: LedgerRules) -> None:
    account = await Account.get(user_id=user)
    await entries.earn(
        account.id,
        200,
        LedgerRequest(SHOP, f"promo-{ago}-{user}", "seasonal promotion", reference=f"promo-{ago}"),
        rules,
        expires_at=clock.now() + timedelta(weeks=6),
    )


async def seed_reviews(now: datetime, rules: LedgerRules, engagement: EngagementRules) -> None:
    """Today's queue: a farm of accounts on one phone, a new account buying dear, and a
    campaign in its preheat."""
    phone = keyed_hash("demo-farm-phone", rules.signal_key)
    for number in range(1, FARM_ACCOUNTS + 1):
        user = f"farm-{number:02d}"
        await upsert_profile(ProfileUpdate(user, nickname=f"Lucky {number}", registered_at=now))
        account = await Account.get(user_id=user)
        actor = Actor(user, "user", "demo-seed", device=phone)
        await checkins.check_in(account.id, f"farm-{number}", actor, rules, engagement)
    await upsert_profile(ProfileUpdate("newcomer", nickname="Sam", registered_at=now))
    account = await Account.get(user_id="newcomer")
    transfer = LedgerRequest(SHOP, "transfer-newcomer", "points moved from a partner programme")
    await entries.earn(account.id, 5_000, transfer, rules)
    headphones = await Item.get(title="Noise-cancelling headphones")
    buyer = Actor("newcomer", "user", "demo-seed")
    await redeem(
        RedeemRequest("newcomer", headphones.id, 1, "newcomer-headphones", buyer, NEWCOMER_ADDRESS),
        gate=None,
        open_account=partial(Account.get, id=account.id),
        rules=rules,
    )
    countdown = await lifecycle.create_campaign(
        CampaignFields(
            "New year countdown",
            now + timedelta(days=3),
            now + timedelta(days=10),
            preheat_at=now - timedelta(days=1),
            description="Check in every day to the new year: the last day pays 100 points.",
            mechanics=[{"kind": "CHECK_IN_REWARDS", "rewards": [10, 10, 10, 10, 10, 10, 100]}],
        ),
        OPS,
    )
    await lifecycle.act(countdown.id, "publish", OPS)
