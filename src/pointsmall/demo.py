"""Demo data for `make run`: a small programme that looks like a product.

Everything goes through the same domain functions the API calls, with the clock moved
back, so the demo's history is real history: the demo user's entries are the orders they
placed, the redemptions they made (each with its status changes and notifications), their
check-ins and shares. It spans the last ten weeks; some points are pending, some expire
within days, some expired. Around it, members' year of orders and redemptions and today's
review queue (`demo_history`) give the ops console something to show. Every date is
relative to the moment of seeding, so the README's examples keep working whenever the
demo is loaded. Catalogue items have pictures (served
by the app from `static/demo/`) and descriptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from pointsmall import clock
from pointsmall.clock import MovableClock
from pointsmall.demo_campaigns import seed_campaigns
from pointsmall.demo_history import seed_reviews, seed_year
from pointsmall.domain.actors import Actor
from pointsmall.domain.audience import audiences
from pointsmall.domain.audience.gifts import give_wake_up_gifts
from pointsmall.domain.audience.lifecycle import restate_all_segments
from pointsmall.domain.audience.rfm import restate_rfm
from pointsmall.domain.engagement import app_events, checkins, orders, shares, tasks
from pointsmall.domain.engagement.orders import OrderLine
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.engagement.tasks import TaskFields, Tier
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import ProfileUpdate, upsert_profile
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall import catalogue, redemption_lifecycle
from pointsmall.domain.mall.catalogue import ItemFields, VirtualRight
from pointsmall.domain.mall.redemption_lifecycle import Tracking
from pointsmall.domain.mall.redemptions import RedeemRequest, ShippingAddress, redeem
from pointsmall.domain.notifications import inbox
from pointsmall.models import (
    Account,
    Audience,
    Item,
    ItemKind,
    ItemStatus,
    Notification,
    QuotaWindow,
    Redemption,
    RedemptionStatus,
    SaleRecurrence,
    Share,
    ShareTarget,
    TaskEvent,
    TaskWindow,
)

DEMO_USER = "demo"
DEMO_ADMIN = "ops-admin"
SHOP = Actor(user_id="shop-backend", role="service", request_id="demo-seed")
OPS = Actor(user_id=DEMO_ADMIN, role="admin", request_id="demo-seed")
HISTORY = timedelta(weeks=10)
ALICES_LINK = "alice-shares-coffee"
USERS = [
    ProfileUpdate(
        DEMO_USER, nickname="Demo Dana", timezone="Asia/Shanghai", tags=["gamer", "coffee"]
    ),
    ProfileUpdate("alice", nickname="Alice", timezone="Europe/Berlin", tags=["mother", "tea"]),
    ProfileUpdate("bob", nickname="Bob", timezone="America/New_York", tags=["runner"]),
    ProfileUpdate("carol", nickname="Carol", timezone="Asia/Tokyo", tags=["gamer", "movies"]),
]
# Users in every lifecycle segment besides the regulars above (all ACTIVE): when each
# registered, and when their one order was paid (days ago).
LIFECYCLES = [
    ("fay", "Fay", 2, None),  # NEW
    ("gus", "Gus", 300, 40),  # REGULAR
    ("dina", "Dina", 200, 120),  # DORMANT
    ("ed", "Ed", 500, 400),  # CHURNED
]
ADDRESS = ShippingAddress(
    recipient="Dana Li", line1="88 Garden Road", city="Hangzhou", postal_code="310000", country="CN"
)


@dataclass(frozen=True)
class DemoItem:
    fields: ItemFields
    image: str  # a file of static/demo/
    added_days_ago: int = 70


_item = partial(ItemFields, status=ItemStatus.ACTIVE)


CATALOGUE = [
    DemoItem(
        _item(
            ItemKind.COUPON,
            "Coffee voucher, any size",
            "coffee",
            300,
            tags=["coffee"],
            description="Any drink, any size, at 900 partner cafés. The code is yours at once.",
            sort_weight=50,
        ),
        "coffee-voucher.svg",
    ),
    DemoItem(
        _item(
            ItemKind.VIRTUAL,
            "Gold membership, 30 days",
            "membership",
            800,
            virtual_right=VirtualRight("Gold membership", 30),
            description="Free delivery and members' prices for 30 days from redeeming.",
            sort_weight=40,
        ),
        "gold-membership.svg",
    ),
    DemoItem(
        _item(
            ItemKind.SERVICE,
            "Free shipping on your next order",
            "services",
            150,
            per_user_quota=1,
            quota_window=QuotaWindow.MONTHLY,
            description="Shipping on us for your next order of any size. One a month.",
        ),
        "free-shipping.svg",
    ),
    DemoItem(
        _item(
            ItemKind.PHYSICAL,
            "Wireless gaming headset",
            "electronics",
            2_000,
            tags=["gamer"],
            stock=20,
            description="Low-latency 2.4 GHz headset with a detachable microphone; 30 h battery.",
            sort_weight=30,
        ),
        "gaming-headset.svg",
    ),
    DemoItem(
        _item(
            ItemKind.PHYSICAL,
            "Noise-cancelling headphones",
            "electronics",
            4_500,
            stock=5,
            high_value=True,
            description="Over-ear, adaptive noise cancelling. High value: our team checks each "
            "redemption within a day.",
        ),
        "headphones.svg",
    ),
    DemoItem(
        _item(
            ItemKind.PHYSICAL,
            "Espresso machine (points + cash)",
            "home",
            1_500,
            price_cash_amount=4_900,
            price_cash_currency="USD",
            stock=10,
            tags=["coffee"],
            description="15-bar pump, milk frother. 1,500 points plus USD 49.00, paid at checkout.",
        ),
        "espresso-machine.svg",
    ),
    DemoItem(
        _item(
            ItemKind.PHYSICAL,
            "Flash sale: limited sneakers",
            "fashion",
            1_200,
            stock=50,
            limited=True,
            per_user_quota=1,
            quota_window=QuotaWindow.SALE,
            sale_recurrence=SaleRecurrence.DAILY,
            tags=["runner"],
            description="50 pairs a day in a two-hour flash sale, one pair per person per sale.",
        ),
        "sneakers.svg",
    ),
    DemoItem(
        _item(
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
            description="1,000 credits for the partner game store, a hundred codes each month.",
        ),
        "game-credits.svg",
    ),
    DemoItem(
        _item(
            ItemKind.PHYSICAL,
            "Tea sampler",
            "groceries",
            400,
            stock=60,
            tags=["tea"],
            description="Twelve single-origin teas from four countries, in a gift tin.",
        ),
        "tea-sampler.svg",
        added_days_ago=6,
    ),
    DemoItem(
        _item(
            ItemKind.VIRTUAL,
            "Two movie tickets",
            "entertainment",
            900,
            tags=["movies"],
            virtual_right=VirtualRight("Movie tickets", 60),
            stock=40,
            description="Two tickets for any film at partner cinemas, valid for 60 days.",
        ),
        "movie-tickets.svg",
        added_days_ago=3,
    ),
]
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
    ),
]
# Audiences (name, description, rule), and the tasks kept for them
AUDIENCES = [
    ("Gamers", "Users the shop tagged gamer.", {"tag": "gamer"}),
    ("Gold and above", "Members of the Gold tier and above.", {"tierAtLeast": "Gold"}),
]
TASK_AUDIENCES = {"Order 3 days in a row": "Gamers"}
# (sku, category, amount in cents) of what the demo users buy, in turn
BASKETS = [
    [("headphones-usb", "electronics", 12_900), ("coffee-beans", "groceries", 2_450)],
    [("game-controller", "electronics", 15_990)],
    [("running-shoes", "fashion", 8_900), ("green-tea", "groceries", 890)],
    [("smart-speaker", "electronics", 18_900)],
    [("tablet", "electronics", 24_900), ("oat-milk", "groceries", 690)],
]


async def database_is_empty() -> bool:
    return not await Account.exists()


Step = Callable[[], Awaitable[object]]


@dataclass
class Timeline:
    """Steps at moments of the past, played in time order (then in the order added), so the
    demo's ids follow its time as a real history's would."""

    now: datetime
    steps: list[tuple[datetime, int, Step]] = field(default_factory=list)

    def at(self, ago: timedelta, step: Step) -> None:
        self.steps.append((self.now - ago, len(self.steps), step))

    async def play(self, moving: MovableClock) -> None:
        for moment, _, step in sorted(self.steps, key=lambda entry: entry[:2]):
            moving.set(moment)
            await step()


@dataclass(frozen=True)
class Demo:
    """What the steps need: the rules, and who does what."""

    rules: LedgerRules
    engagement: EngagementRules
    public_url: str
    now: datetime


async def seed_demo(rules: LedgerRules, engagement: EngagementRules, public_url: str) -> None:
    """Load the demo into an empty database."""
    now = clock.now().replace(second=0, microsecond=0)
    demo = Demo(rules, engagement, public_url, now)
    timeline = Timeline(now)
    timeline.at(HISTORY, partial(_users_and_programme, demo))
    for item in CATALOGUE:
        timeline.at(timedelta(days=item.added_days_ago, minutes=-1), partial(_add_item, demo, item))
    _orders(timeline, demo)
    _redemptions(timeline, demo)
    _recent_days(timeline, demo)
    for day in range(HISTORY.days, 0, -1):  # the server's scheduled jobs, once a day
        timeline.at(timedelta(days=day, hours=-1), partial(_daily_jobs, demo))
    moving = MovableClock(now - HISTORY)
    real_clock = clock.use_clock(moving)
    try:
        await timeline.play(moving)
        moving.set(now)
        await _daily_jobs(demo)
        await _lifecycles(demo)
        await _tiers_and_audiences(demo)
        await seed_campaigns(moving, now, rules, engagement)
        await seed_year(moving, now, rules, engagement)
        await seed_reviews(now, rules, engagement)
        await _jobs_of_today(demo)
        await _read_older_notifications(now - timedelta(days=3))
    finally:
        clock.use_clock(real_clock)


async def _daily_jobs(demo: Demo) -> None:
    await expire_due_points()
    await restate_all_segments(clock.now(), demo.engagement.lifecycle)
    await inbox.announce_matured()
    await inbox.warn_expiring(demo.rules)


async def _users_and_programme(demo: Demo) -> None:
    for profile in USERS:
        await upsert_profile(replace(profile, registered_at=clock.now()))
        await _grant(demo, profile.user_id, 500, "welcome", "welcome bonus")
    await orders.set_earning_rate("electronics", 5)
    await orders.set_earning_rate("groceries", 1)
    made = {}
    for name, description, rule in AUDIENCES:
        made[name] = await audiences.create_audience(name, description, rule, demo.rules)
    for task in TASKS:
        audience = made.get(TASK_AUDIENCES.get(task.title, ""))
        await tasks.create_task(replace(task, audience_id=audience.id if audience else None))


async def _add_item(demo: Demo, item: DemoItem) -> None:
    """An item with its picture; the flash sales open relative to now."""
    draft = replace(item.fields, image_urls=[f"{demo.public_url}/static/demo/{item.image}"])
    today = datetime(demo.now.year, demo.now.month, demo.now.day, tzinfo=UTC)
    if draft.sale_recurrence == SaleRecurrence.DAILY:  # two hours a day, from the next hour
        first = demo.now.replace(minute=0) + timedelta(hours=1)
        draft.sale_starts_at, draft.sale_ends_at = first, first + timedelta(hours=2)
    elif draft.sale_recurrence == SaleRecurrence.MONTHLY:  # five days a month, from yesterday
        first = today - timedelta(days=1)
        draft.sale_starts_at, draft.sale_ends_at = first, first + timedelta(days=5)
    created = await catalogue.create_item(draft)
    if created.kind == ItemKind.COUPON:
        await catalogue.add_coupon_codes(created.id, [f"CAFE-{n:04d}-DEMO" for n in range(200)])


async def _lifecycles(demo: Demo) -> None:
    """Told by the shop today, with their past: so the rest of the demo keeps its ids."""
    for user, nickname, registered, ordered in LIFECYCLES:
        await upsert_profile(
            ProfileUpdate(
                user,
                nickname=nickname,
                timezone="Europe/London",
                registered_at=demo.now - timedelta(days=registered),
            )
        )
        if ordered is not None:
            lines = [OrderLine("mug-1", "home", 2_500, demo.engagement.currency)]
            paid = demo.now - timedelta(days=ordered)
            await orders.record_order(
                f"life-{user}", user, paid, lines, SHOP, demo.rules, demo.engagement
            )
    await restate_all_segments(demo.now, demo.engagement.lifecycle)


LOUNGE = DemoItem(
    _item(
        ItemKind.SERVICE,
        "Airport lounge pass",
        "travel",
        1_200,
        description="A day in 1,300 airport lounges worldwide. For Gold members and above.",
        sort_weight=30,
    ),
    "lounge-pass.svg",
    added_days_ago=0,
)


async def _tiers_and_audiences(demo: Demo) -> None:
    """Today, at the end (ids above stay as they were): a Platinum member, an item for Gold
    and above."""
    await _grant(demo, "bob", 4_000, "partner-transfer", "points moved from a partner programme")
    gold = await Audience.get(name="Gold and above")
    await _add_item(demo, replace(LOUNGE, fields=replace(LOUNGE.fields, audience_id=gold.id)))


async def _jobs_of_today(demo: Demo) -> None:
    """What the hourly and nightly jobs would have done by now: segments and the wake-up
    gifts of those who turned DORMANT, RFM scores."""
    await restate_all_segments(demo.now, demo.engagement.lifecycle)
    await give_wake_up_gifts(demo.now, demo.rules, demo.engagement.gifts)
    await restate_rfm(demo.now)


def _orders(timeline: Timeline, demo: Demo) -> None:
    """Ten weeks of paid orders, the last one still in its return window."""
    number = 3000
    for week in range(10):
        for user, days in (("demo", (1, 4)), ("alice", (2,)), ("bob", (3,)), ("carol", (5,))):
            for day in days:
                ago = HISTORY - timedelta(weeks=week, days=day, hours=11)
                if ago < timedelta(days=2):
                    continue
                number += 1
                timeline.at(ago, partial(_order, demo, str(number), user, number))
    timeline.at(timedelta(hours=5), partial(_order, demo, "4001", "demo", 2))


async def _order(demo: Demo, order_id: str, user: str, basket: int) -> None:
    lines = [
        OrderLine(sku, category, amount, demo.engagement.currency)
        for sku, category, amount in BASKETS[basket % len(BASKETS)]
    ]
    await orders.record_order(order_id, user, clock.now(), lines, SHOP, demo.rules, demo.engagement)


def _redemptions(timeline: Timeline, demo: Demo) -> None:
    """The demo user's redemptions, each through its real life, and a few by the others."""

    def days(count: float) -> timedelta:
        return timedelta(days=count)

    timeline.at(days(50), partial(_redeem, demo, "demo", "Coffee voucher, any size"))
    timeline.at(days(30), partial(_redeem, demo, "demo", "Wireless gaming headset", ADDRESS))
    shipped = Tracking("SF Express", "SF1234567890")
    timeline.at(
        days(29),
        partial(_fulfil, demo, "Wireless gaming headset", RedemptionStatus.SHIPPED, shipped),
    )
    timeline.at(
        days(26), partial(_fulfil, demo, "Wireless gaming headset", RedemptionStatus.FULFILLED)
    )
    timeline.at(days(22), partial(_redeem, demo, "demo", "Gold membership, 30 days"))
    timeline.at(days(18), partial(_redeem, demo, "demo", "Free shipping on your next order"))
    timeline.at(days(17), partial(_refund, demo, "Free shipping on your next order"))
    timeline.at(days(16), partial(_autumn_bonus, demo))
    timeline.at(days(9), partial(_redeem, demo, "demo", "Noise-cancelling headphones", ADDRESS))
    timeline.at(days(8), partial(_approve, demo, "Noise-cancelling headphones"))
    for user, title, ago in (
        ("alice", "Coffee voucher, any size", 9),
        ("bob", "Coffee voucher, any size", 6),
        ("carol", "Gold membership, 30 days", 5),
        ("carol", "Coffee voucher, any size", 4),
        ("alice", "Tea sampler", 1),
        ("bob", "Monthly drop: game credits", 0.5),
        ("carol", "Noise-cancelling headphones", 0.2),  # waits in the review queue
    ):
        physical = title in ("Tea sampler", "Noise-cancelling headphones")
        timeline.at(days(ago), partial(_redeem, demo, user, title, ADDRESS if physical else None))


def _key(user: str, title: str) -> str:
    return f"demo-{user}-{title.split()[0].lower()}-{len(title)}"


async def _redeem(
    demo: Demo, user: str, title: str, address: ShippingAddress | None = None
) -> None:
    item = await Item.get(title=title)
    account = await Account.get(user_id=user)
    await redeem(
        RedeemRequest(
            user, item.id, 1, _key(user, title), Actor(user, "user", "demo-seed"), address
        ),
        gate=None,
        open_account=partial(Account.get, id=account.id),
        rules=demo.rules,
    )


async def _demo_redemption(title: str) -> Redemption:
    return await Redemption.get(idempotency_key=_key(DEMO_USER, title))


async def _fulfil(
    demo: Demo, title: str, status: RedemptionStatus, tracking: Tracking | None = None
) -> None:
    redemption = await _demo_redemption(title)
    await redemption_lifecycle.fulfil(redemption.id, status, tracking, None, OPS, demo.rules)


async def _refund(demo: Demo, title: str) -> None:
    redemption = await _demo_redemption(title)
    reason = "the order already shipped free: points refunded"
    await redemption_lifecycle.cancel(redemption.id, reason, OPS, demo.rules, owner_account_id=None)


async def _approve(demo: Demo, title: str) -> None:
    redemption = await _demo_redemption(title)
    await redemption_lifecycle.review(redemption.id, True, "verified customer", OPS, demo.rules)


async def _autumn_bonus(demo: Demo) -> None:
    """A bonus that ran out unused: it expires in the history."""
    await _grant(
        demo, DEMO_USER, 200, "autumn", "autumn campaign bonus", expires_in=timedelta(days=5)
    )


def _recent_days(timeline: Timeline, demo: Demo) -> None:
    """A check-in streak, a share and a review, and points about to expire."""
    for ago in range(5, -1, -1):
        for user in ("demo", "alice", "bob") if ago else ("alice", "bob", "carol"):
            timeline.at(timedelta(days=ago, hours=2), partial(_check_in, demo, user, ago))
    timeline.at(timedelta(days=2), partial(_share_and_review, demo))
    timeline.at(
        timedelta(days=2),
        partial(  # about 3 days left at seeding: a warning, and the EXPIRING_SOON card
            _grant, demo, DEMO_USER, 300, "double-11", "Double 11 campaign bonus",
            expires_in=timedelta(days=4, hours=20),
        ),
    )  # fmt: skip


async def _check_in(demo: Demo, user: str, ago: int) -> None:
    account = await Account.get(user_id=user)
    await checkins.check_in(account.id, f"demo-{ago}", SHOP, demo.rules, demo.engagement)


async def _share_and_review(demo: Demo) -> None:
    dana = await Account.get(user_id=DEMO_USER)
    alice = await Account.get(user_id="alice")
    tea = await Item.get(title="Tea sampler")
    shared = await shares.share(
        dana.id, ShareTarget.ITEM, f"Item:{tea.id}", "demo-share", SHOP, demo.rules,
        demo.engagement,
    )  # fmt: skip
    await shares.open_share(alice.id, shared.token, SHOP, demo.rules, demo.engagement)
    coffee = await Item.get(title="Coffee voucher, any size")
    alices = await shares.share(
        alice.id, ShareTarget.ITEM, f"Item:{coffee.id}", "demo-share", SHOP, demo.rules,
        demo.engagement,
    )  # fmt: skip
    # A link with a name that stays the same in every demo, for the README's openShare.
    await Share.filter(id=alices.id).update(token=ALICES_LINK)
    await app_events.record_event(
        "review-demo-1", DEMO_USER, "REVIEW", clock.now(), {"stars": 5}, demo.rules
    )


async def _grant(
    demo: Demo,
    user: str,
    amount: int,
    key: str,
    reason: str,
    *,
    expires_in: timedelta | None = None,
) -> None:
    account = await Account.get(user_id=user)
    expires_at = clock.now() + expires_in if expires_in else None
    await entries.earn(
        account.id,
        amount,
        LedgerRequest(SHOP, f"{key}-{user}", reason, reference=key),
        demo.rules,
        expires_at=expires_at,
    )


async def _read_older_notifications(before: datetime) -> None:
    """A real user has read what is more than a few days old."""
    await Notification.filter(created_at__lt=before, read_at__isnull=True).update(read_at=before)
