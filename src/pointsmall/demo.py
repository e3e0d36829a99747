"""Demo data for `make run`: a few users whose points were earned over the past year.

The clock is moved back while seeding, so lots, entries and expiries carry real dates:
some of the demo user's points expire within days, some are still pending, and the
history is long enough to page through.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from functools import partial

from pointsmall import clock
from pointsmall.clock import MovableClock
from pointsmall.domain import catalogue, checkins, holds, ledger, orders, reversals, tasks
from pointsmall.domain.accounts import ProfileUpdate, upsert_profile
from pointsmall.domain.actors import Actor
from pointsmall.domain.catalogue import ItemFields, VirtualRight
from pointsmall.domain.engagement_rules import EngagementRules
from pointsmall.domain.expiry import expire_due_points
from pointsmall.domain.ledger import LedgerRequest
from pointsmall.domain.orders import OrderLine
from pointsmall.domain.redemptions import RedeemRequest, redeem
from pointsmall.domain.rules import LedgerRules
from pointsmall.domain.tasks import TaskFields, Tier
from pointsmall.models import (
    Account,
    Item,
    ItemKind,
    ItemStatus,
    QuotaWindow,
    SaleRecurrence,
    TaskEvent,
    TaskWindow,
)

DEMO_USER = "demo"
DEMO_ADMIN = "ops-admin"
SHOP = Actor(user_id="shop-backend", role="service", request_id="demo-seed")
USERS = [
    ProfileUpdate(
        DEMO_USER, nickname="Demo Dana", timezone="Asia/Shanghai", tags=["gamer", "coffee"]
    ),
    ProfileUpdate("alice", nickname="Alice", timezone="Europe/Berlin", tags=["mother"]),
    ProfileUpdate("bob", nickname="Bob", timezone="America/New_York", tags=["runner"]),
    ProfileUpdate("carol", nickname="Carol", timezone="Asia/Tokyo", tags=["gamer"]),
]


async def database_is_empty() -> bool:
    return not await Account.exists()


async def seed_demo(rules: LedgerRules, engagement: EngagementRules) -> None:
    now = clock.now()
    moving = MovableClock(now - timedelta(days=362))
    real_clock = clock.use_clock(moving)
    try:
        for profile in USERS:
            await upsert_profile(profile)
        for index, user in enumerate(("alice", "bob", "carol")):
            await _earn(user, 800 + 450 * index, f"{user}-welcome", "welcome bonus", rules)
        await _demo_history(moving, rules)
        moving.set(now - timedelta(days=2))
        for days, amount in ((3, 200), (10, 150)):
            await _earn(
                DEMO_USER,
                amount,
                f"campaign-{days}",
                "Double 11 campaign bonus",
                rules,
                expires_in=timedelta(days=days + 2),
            )
        await _demo_engagement(moving, now, rules, engagement)
    finally:
        clock.use_clock(real_clock)
    await expire_due_points()
    await _demo_mall(now, rules)
    for user in ("alice", "bob", "carol"):  # today's leaderboards have someone on them
        account = await Account.get(user_id=user)
        await checkins.check_in(account.id, "demo-today", SHOP, rules, engagement)


TASKS = [
    TaskFields(
        "Shop this month",
        TaskEvent.ORDER_PAID,
        TaskWindow.MONTHLY,
        description="Orders this month unlock more and more points.",
        tiers=[Tier(1, 50), Tier(3, 100), Tier(5, 200)],
        auto_claim=False,
    ),
    TaskFields(
        "Check in today", TaskEvent.CHECK_IN, TaskWindow.DAILY, target_count=1, reward_points=5
    ),
    TaskFields(
        "Share two items this week",
        TaskEvent.SHARE,
        TaskWindow.WEEKLY,
        target_count=2,
        reward_points=30,
    ),
    TaskFields(
        "Write a review",
        TaskEvent.REVIEW,
        TaskWindow.ONCE,
        target_count=1,
        reward_points=40,
        auto_claim=False,
    ),
    TaskFields(
        "Order 3 days in a row",
        TaskEvent.ORDER_PAID,
        TaskWindow.ONCE,
        target_count=3,
        reward_points=150,
        consecutive_days=True,
        audience_tags=["gamer"],
    ),
]


async def _demo_engagement(
    moving: MovableClock, now: datetime, rules: LedgerRules, engagement: EngagementRules
) -> None:
    """Earning rates, tasks, a five-day check-in streak, orders, and a lively leaderboard."""
    await orders.set_earning_rate("electronics", 5)
    await orders.set_earning_rate("groceries", 1)
    for task in TASKS:
        await tasks.create_task(task)
    for days_ago in range(5, 0, -1):
        moving.set(now - timedelta(days=days_ago))
        for user in (DEMO_USER, "alice", "bob"):
            account = await Account.get(user_id=user)
            await checkins.check_in(account.id, f"demo-{days_ago}", SHOP, rules, engagement)
    moving.set(now - timedelta(hours=3))
    lines = [
        OrderLine("headphones-1", "electronics", 12_900, engagement.currency),
        OrderLine("coffee-beans", "groceries", 2_450, engagement.currency),
    ]
    for user, order_id in ((DEMO_USER, "order-3001"), ("carol", "order-3002")):
        await orders.record_order(order_id, user, moving.now(), lines, SHOP, rules, engagement)


CATALOGUE = [
    ItemFields(
        ItemKind.COUPON,
        "Coffee voucher, any size",
        "coffee",
        300,
        tags=["coffee"],
        description="A partner coffee shop voucher.",
        sort_weight=50,
    ),
    ItemFields(
        ItemKind.VIRTUAL,
        "Gold membership, 30 days",
        "membership",
        800,
        virtual_right=VirtualRight("Gold membership", 30),
        sort_weight=40,
    ),
    ItemFields(
        ItemKind.SERVICE,
        "Free shipping on your next order",
        "services",
        150,
        per_user_quota=1,
        quota_window=QuotaWindow.MONTHLY,
    ),
    ItemFields(
        ItemKind.PHYSICAL,
        "Wireless gaming headset",
        "electronics",
        2_000,
        tags=["gamer"],
        stock=20,
        sort_weight=30,
    ),
    ItemFields(
        ItemKind.PHYSICAL,
        "Noise-cancelling headphones",
        "electronics",
        9_000,
        stock=5,
        high_value=True,
        description="High value: a person reviews it.",
    ),
    ItemFields(
        ItemKind.PHYSICAL,
        "Espresso machine (points + cash)",
        "home",
        1_500,
        price_cash_amount=4_900,
        price_cash_currency="USD",
        stock=10,
        tags=["coffee"],
    ),
    ItemFields(
        ItemKind.PHYSICAL,
        "Flash sale: limited sneakers",
        "fashion",
        1_200,
        stock=50,
        limited=True,
        per_user_quota=1,
        quota_window=QuotaWindow.SALE,
    ),
    ItemFields(
        ItemKind.VIRTUAL,
        "Monthly drop: game credits",
        "games",
        500,
        tags=["gamer"],
        virtual_right=VirtualRight("Game credits", 30),
        limited=True,
        stock=100,
        per_user_quota=1,
        quota_window=QuotaWindow.SALE,
        sale_recurrence=SaleRecurrence.MONTHLY,
    ),
]


async def _demo_mall(now: datetime, rules: LedgerRules) -> None:
    """A catalogue of every kind, some redemptions (for the HOT card), a limited drop."""
    for draft in CATALOGUE:
        if draft.limited and draft.sale_recurrence == SaleRecurrence.MONTHLY:
            first = datetime(now.year, now.month, 1, tzinfo=UTC)
            draft.sale_starts_at, draft.sale_ends_at = first, first + timedelta(days=3)
        elif draft.limited:
            draft.sale_starts_at = now + timedelta(hours=2)
        draft.status = ItemStatus.ACTIVE
        item = await catalogue.create_item(draft)
        if item.kind == ItemKind.COUPON:
            await catalogue.add_coupon_codes(item.id, [f"COFFEE-{n:04d}" for n in range(200)])
    voucher = await Item.get(title="Coffee voucher, any size")
    membership = await Item.get(title="Gold membership, 30 days")
    for number, user in enumerate(("alice", "bob", "carol", "bob", "carol")):
        account = await Account.get(user_id=user)
        item = voucher if number < 3 else membership
        await redeem(
            RedeemRequest(user, item.id, 1, f"demo-{number}", SHOP),
            gate=None,
            open_account=partial(Account.get, id=account.id),
            rules=rules,
        )


async def _earn(
    user: str,
    amount: int,
    key: str,
    reason: str,
    rules: LedgerRules,
    *,
    expires_in: timedelta | None = None,
) -> None:
    account = await Account.get(user_id=user)
    expires_at = clock.now() + expires_in if expires_in else None
    await ledger.earn(
        account.id,
        amount,
        LedgerRequest(SHOP, key, reason, reference=key),
        rules,
        expires_at=expires_at,
    )


async def _demo_history(moving: MovableClock, rules: LedgerRules) -> None:
    """About a year of orders, redemptions and corrections for the demo user."""
    account = await Account.get(user_id=DEMO_USER)
    draw = random.Random(7)
    await _earn(DEMO_USER, 600, "demo-welcome", "welcome bonus", rules)
    for week in range(1, 52):
        moving.advance(timedelta(days=7))
        order = f"order-{1000 + week}"
        await _earn(
            DEMO_USER, draw.choice((80, 120, 150, 240, 300)), order, f"order {order} paid", rules
        )
        if week % 6 == 0:
            spent = await ledger.spend(
                account.id,
                draw.choice((200, 300, 450)),
                LedgerRequest(
                    SHOP,
                    f"redeem-{week}",
                    "redeemed a coffee voucher",
                    reference=f"redemption-{week}",
                ),
            )
            if week == 24:
                await reversals.reverse(
                    spent.id,
                    LedgerRequest(SHOP, "refund-24", "item out of stock, refunded"),
                    rules,
                )
        if week == 40:
            held = await holds.hold(
                account.id,
                500,
                LedgerRequest(
                    SHOP, "hold-40", "headphones, under review", reference="redemption-40"
                ),
            )
            await holds.capture(held.id, LedgerRequest(SHOP, "capture-40", "review approved"))
    await ledger.earn(
        account.id,
        350,
        LedgerRequest(SHOP, "order-pending", "order order-2001 paid (7-day return window)"),
        rules,
        available_at=moving.now() + timedelta(days=7),
    )
