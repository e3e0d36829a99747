"""The personalised home screen: cards of items, each shown only when it has something.

Cards pick item ids from a short-lived snapshot of the active catalogue (one query every
few seconds per process, dropped at once when ops change the catalogue in this process);
the items shown are then loaded fresh, in one batch, by the caller. The hot list is
computed from the last 7 days of redemptions at most once a minute and kept in Redis.
"""

from __future__ import annotations

import enum
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Count

from pointsmall.domain import events
from pointsmall.domain.ledger.balances import PointsSummary
from pointsmall.domain.mall.sale_windows import quota_period, sale_window
from pointsmall.domain.wording import local_day, local_time
from pointsmall.models import (
    Account,
    Item,
    ItemStatus,
    QuotaUsage,
    QuotaWindow,
    Redemption,
    RedemptionStatus,
    SaleRecurrence,
)
from pointsmall.redis_client import RedisClient, RedisGuard

CARD_SIZE = 10
SNAPSHOT_SECONDS = 5.0
HOT_KEY = "pointsmall:mall:hot"
HOT_SECONDS = 60
UTC_ZONE = ZoneInfo("UTC")
HOT_PERIOD = timedelta(days=7)
LIMITED_AHEAD = timedelta(hours=24)
NEW_PERIOD = timedelta(days=30)


class CardKind(enum.StrEnum):
    EXPIRING_SOON = "EXPIRING_SOON"
    HOT = "HOT"
    FOR_YOU = "FOR_YOU"
    LIMITED = "LIMITED"
    NEW = "NEW"


@dataclass(frozen=True)
class Card:
    kind: CardKind
    title: str
    subtitle: str
    item_ids: list[int]


@dataclass
class _Snapshot:
    items: list[Item] = field(default_factory=list)
    taken_at: float = -1e9


_snapshot = _Snapshot()


def forget_catalogue() -> None:
    """The next home screen reads the catalogue again."""
    _snapshot.taken_at = -1e9


async def _on_event(event: events.Event) -> None:
    if isinstance(event, events.CatalogueChanged):
        forget_catalogue()


events.listen(_on_event)  # ops' changes show on this process's next home screen


async def active_catalogue() -> list[Item]:
    if time.monotonic() - _snapshot.taken_at > SNAPSHOT_SECONDS:
        _snapshot.items = await Item.filter(status=ItemStatus.ACTIVE).order_by(
            "-sort_weight", "-id"
        )
        _snapshot.taken_at = time.monotonic()
    return _snapshot.items


def _available(item: Item, now: datetime) -> bool:
    window = sale_window(item, now)
    in_stock = item.stock_remaining is None or item.stock_remaining > 0
    return window is not None and window.is_open(now) and in_stock


async def hot_item_counts(
    redis: RedisClient, guard: RedisGuard, now: datetime
) -> list[tuple[int, int]]:
    """(item id, redemptions in the last 7 days), most first; recomputed at most each minute
    (each time while Redis is away)."""
    cached = await guard.call("hot list", lambda: redis.get(HOT_KEY), None)
    if cached is not None:
        return [(int(item_id), int(count)) for item_id, count in json.loads(cached)]
    rows = (
        await Redemption.filter(created_at__gte=now - HOT_PERIOD)
        .exclude(status__in=(RedemptionStatus.CANCELLED, RedemptionStatus.REFUNDED))
        .annotate(redemptions=Count("id"))
        .group_by("item_id")
        .order_by("-redemptions", "item_id")
        .limit(50)
        .values("item_id", "redemptions")
    )
    counts = [(int(row["item_id"]), int(row["redemptions"])) for row in rows]
    await guard.call(
        "hot list", lambda: redis.set(HOT_KEY, json.dumps(counts), ex=HOT_SECONDS), None
    )
    return counts


async def favourite_categories(account_id: int) -> list[str]:
    rows = (
        await Redemption.filter(account_id=account_id)
        .annotate(redemptions=Count("id"))
        .group_by("item__category")
        .order_by("-redemptions")
        .limit(3)
        .values("item__category")
    )
    return [str(row["item__category"]) for row in rows]


@dataclass(frozen=True)
class Viewer:
    account: Account
    points: PointsSummary
    # (item id, quota period) -> units used, for the quotas that never renew: LIFETIME
    # ("lifetime") and the SALE quota of a one-off sale window ("sale:...")
    final_quota_used: dict[tuple[int, str], int]
    expiring_within: timedelta
    audiences: set[int]  # of those the catalogue's items are kept for, the user's


async def viewer_of(
    account: Account, points: PointsSummary, expiring_within: timedelta, audiences: set[int]
) -> Viewer:
    final_quotas = await QuotaUsage.filter(
        Q(period="lifetime") | Q(period__startswith="sale:"), account_id=account.id
    )
    used = {(row.item_id, row.period): row.used for row in final_quotas}
    return Viewer(account, points, used, expiring_within, audiences)


def shown_to(item: Item, audiences: set[int] | None) -> bool:
    """Whether a caller seeing these audiences' items (None: every item, admins) sees it."""
    return item.audience_id is None or audiences is None or item.audience_id in audiences


async def mall_cards(
    viewer: Viewer | None, redis: RedisClient, guard: RedisGuard, now: datetime, zone: ZoneInfo
) -> list[Card]:
    """The cards, with times in the reader's `zone` (the user's, or the programme's). Items
    kept for an audience are on the cards of its members alone."""
    audiences = viewer.audiences if viewer is not None else set()
    catalogue = [item for item in await active_catalogue() if shown_to(item, audiences)]
    on_sale = [item for item in catalogue if _available(item, now)]
    cards = [
        await _expiring_soon(viewer, on_sale, zone),
        await _hot(redis, guard, on_sale, now),
        await _for_you(viewer, on_sale, now),
        _limited(catalogue, now, zone),
        _new(on_sale, now),
    ]
    return [card for card in cards if card is not None and card.item_ids]


def next_change(
    viewer: Viewer | None, catalogue: list[Item], now: datetime, zone: ZoneInfo
) -> datetime | None:
    """The next moment the cards (and their items' facts) would change with no write: a
    sale window opening or closing or coming within `LIMITED_AHEAD`, an item leaving NEW,
    a quota day turning (the reader's midnight), the reader's points becoming spendable,
    expiring or coming within the EXPIRING_SOON window. A kept answer lives no longer."""
    moments: list[datetime | None] = []
    for item in catalogue:
        window = sale_window(item, now)
        if window is not None:
            opens = window.starts_at
            moments += [opens, window.ends_at, opens - LIMITED_AHEAD if opens else None]
        moments.append(item.created_at + NEW_PERIOD)
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    moments.append(midnight)
    if viewer is not None:
        moments.append(viewer.points.next_change)
        moments += [lot.expires_at - viewer.expiring_within for lot in viewer.points.lots]
    return min((moment for moment in moments if moment is not None and moment > now), default=None)


async def _expiring_soon(viewer: Viewer | None, on_sale: list[Item], zone: ZoneInfo) -> Card | None:
    if viewer is None:
        return None
    expiring = viewer.points.expiring_within(viewer.expiring_within)
    if not expiring:
        return None
    amount = sum(item.amount for item in expiring)
    balance = viewer.points.balance
    affordable = [item for item in on_sale if item.price_points <= balance]
    # Items that use the expiring points up best first: the dearest within them, then the rest.
    affordable.sort(key=lambda item: (item.price_points > amount, -item.price_points))
    first = expiring[0]
    subtitle = f"{first.amount:,} points expire on {local_day(first.expires_at, zone)}"
    if amount > first.amount:
        subtitle += f", {amount:,} within {viewer.expiring_within.days} days"
    return Card(
        CardKind.EXPIRING_SOON,
        "Use your points before they expire",
        subtitle,
        [item.id for item in affordable[:CARD_SIZE]],
    )


async def _hot(redis: RedisClient, guard: RedisGuard, on_sale: list[Item], now: datetime) -> Card:
    by_id = {item.id: item for item in on_sale}
    counts = await hot_item_counts(redis, guard, now)
    hot = [item_id for item_id, _ in counts if item_id in by_id]
    return Card(CardKind.HOT, "Hot this week", "Most redeemed in the last 7 days", hot[:CARD_SIZE])


async def _for_you(viewer: Viewer | None, on_sale: list[Item], now: datetime) -> Card | None:
    if viewer is None:
        return None
    tags = set(viewer.account.tags)
    favourite = await favourite_categories(viewer.account.id)

    def never_redeemable(item: Item) -> bool:
        if item.per_user_quota is None:
            return False
        if item.quota_window == QuotaWindow.LIFETIME:
            period = "lifetime"
        elif item.quota_window == QuotaWindow.SALE and item.sale_recurrence == SaleRecurrence.NONE:
            period = quota_period(item, now, UTC_ZONE)  # the same for every zone
        else:
            return False  # the quota renews with the next day, week, month or sale
        return viewer.final_quota_used.get((item.id, period), 0) >= item.per_user_quota

    def rank(item: Item) -> tuple[bool, int, int]:
        matched = len(tags & set(item.tags))
        category = favourite.index(item.category) if item.category in favourite else len(favourite)
        return (item.audience_id is None, -matched, category)

    # Items kept for the user's own audiences (their tier, their segment...) come first.
    picked = [
        item
        for item in on_sale
        if not never_redeemable(item)
        and (item.audience_id or tags & set(item.tags) or item.category in favourite)
    ]
    picked.sort(key=rank)
    return Card(
        CardKind.FOR_YOU,
        "For you",
        "Picked for you: your tier, your interests",
        [item.id for item in picked[:CARD_SIZE]],
    )


def _limited(catalogue: list[Item], now: datetime, zone: ZoneInfo) -> Card:
    drops: list[tuple[datetime, Item]] = []
    for item in catalogue:
        window = sale_window(item, now) if item.limited else None
        if window is None or (item.stock_remaining is not None and item.stock_remaining <= 0):
            continue
        opens = window.starts_at or now
        if window.is_open(now) or opens <= now + LIMITED_AHEAD:
            drops.append((opens, item))
    drops.sort(key=lambda pair: (pair[0], pair[1].id))
    live = sum(1 for opens, _ in drops if opens <= now)
    upcoming = [opens for opens, _ in drops if opens > now]
    subtitle = f"{live} on now"
    if upcoming:
        subtitle += f", next at {local_time(upcoming[0], zone)}"
    return Card(
        CardKind.LIMITED, "Limited drops", subtitle, [item.id for _, item in drops[:CARD_SIZE]]
    )


def _new(on_sale: list[Item], now: datetime) -> Card:
    recent = [item for item in on_sale if item.created_at >= now - NEW_PERIOD]
    recent.sort(key=lambda item: (item.created_at, item.id), reverse=True)
    return Card(
        CardKind.NEW,
        "New in the mall",
        "Added in the last 30 days",
        [item.id for item in recent[:CARD_SIZE]],
    )
