"""Lifecycle segments: where each user is in their life with the shop.

From their paid orders (an order counts while not wholly refunded) and registration:

- NEW: registered within `new_days`, no paid order yet;
- ACTIVE: `active_orders` or more paid orders in the last `active_days`;
- REGULAR: a paid order within `dormant_days`, fewer than `active_orders` lately;
- DORMANT: no paid order for `dormant_days` or more (a user who never bought, once past
  NEW, counts from registration);
- CHURNED: none for `churned_days` or more.

A user's segment is stored on the account and restated by what changes it: an order or a
refund (in the same transaction, `restate_segment`), and the passage of time (the daily
`restate_all_segments`, set-based in batches). Every change is recorded
(`SegmentChange`): ops see who moved, and gifts (a wake-up gift on turning DORMANT) key on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from pointsmall import sql
from pointsmall.domain.ledger.accounts import lock_accounts
from pointsmall.models import Account, Segment, SegmentChange

BATCH = 5_000


@dataclass(frozen=True)
class LifecycleRules:
    new_days: int = 7
    active_orders: int = 3
    active_days: int = 30
    dormant_days: int = 90
    churned_days: int = 365


@dataclass(frozen=True)
class Purchases:
    """What the segment is decided on: paid orders lately, and the last one."""

    recent: int  # paid orders within the rules' active window
    last_paid_at: datetime | None


def segment_of(
    registered_at: datetime, purchases: Purchases, now: datetime, rules: LifecycleRules
) -> Segment:
    if purchases.last_paid_at is None:
        if now - registered_at < timedelta(days=rules.new_days):
            return Segment.NEW
        quiet = now - registered_at
    else:
        quiet = now - purchases.last_paid_at
    if quiet >= timedelta(days=rules.churned_days):
        return Segment.CHURNED
    if quiet >= timedelta(days=rules.dormant_days):
        return Segment.DORMANT
    if purchases.last_paid_at is None:
        return Segment.DORMANT  # never bought, no longer new
    if purchases.recent >= rules.active_orders:
        return Segment.ACTIVE
    return Segment.REGULAR


def registered(account: Account) -> datetime:
    """When the user registered with the shop (or, not told, when their account opened)."""
    return account.registered_at or account.created_at


async def purchases_of(
    account_ids: list[int], now: datetime, rules: LifecycleRules
) -> dict[int, Purchases]:
    """Each account's purchases, in one statement (accounts that never bought: absent)."""
    if not account_ids:
        return {}
    among, params = sql.among('"account_id"', account_ids, 2)
    rows = await sql.fetch(
        'SELECT "account_id", SUM(CASE WHEN "paid_at" >= $1 THEN 1 ELSE 0 END) AS "recent", '
        'MAX("paid_at") AS "last_paid_at" FROM "engagement_order" '
        f'WHERE "amount" > "refunded_amount" AND {among} GROUP BY "account_id"',
        now - timedelta(days=rules.active_days),
        *params,
    )
    return {
        int(row["account_id"]): Purchases(int(row["recent"]), sql.moment(row["last_paid_at"]))
        for row in rows
    }


async def restate_segment(account: Account, now: datetime, rules: LifecycleRules) -> Segment:
    """The account's segment now, stored (and its change recorded) if it moved. Called in
    the transaction of the order or refund that may move it, the account locked."""
    found = await purchases_of([account.id], now, rules)
    segment = segment_of(registered(account), found.get(account.id, NO_PURCHASES), now, rules)
    if segment != account.segment:
        await _move({account.id: account.segment}, segment, now)
        account.segment, account.segment_since = segment, now
    return segment


NO_PURCHASES = Purchases(0, None)


async def restate_all_segments(now: datetime, rules: LifecycleRules, batch: int = BATCH) -> int:
    """Every account's segment as of `now` (the hourly job: time moves users on). Per
    batch: one read of accounts and one of their orders, then in one transaction the
    accounts that move locked (skipping any an order holds: it restates its own), one
    update per segment moved to and one insert of the changes. Returns how many moved."""
    moved = 0
    after = 0
    while True:
        accounts = (
            await Account.filter(id__gt=after)
            .order_by("id")
            .limit(batch)
            .only("id", "segment", "registered_at", "created_at")
        )
        if not accounts:
            return moved
        after = accounts[-1].id
        found = await purchases_of([account.id for account in accounts], now, rules)
        moving: dict[int, tuple[Segment, Segment]] = {}  # id: (from, to)
        for account in accounts:
            purchases = found.get(account.id, NO_PURCHASES)
            segment = segment_of(registered(account), purchases, now, rules)
            if segment != account.segment:
                moving[account.id] = (account.segment, segment)
        if not moving:
            continue
        async with in_transaction():
            locked = await lock_accounts(list(moving), skip_locked=True)
            # Only accounts still where they were read: an order meanwhile restated its own.
            still = {account.id for account in locked if account.segment == moving[account.id][0]}
            by_segment: dict[Segment, dict[int, Segment]] = {}
            for account_id in still:
                left, segment = moving[account_id]
                by_segment.setdefault(segment, {})[account_id] = left
            for segment, previous in by_segment.items():
                await _move(previous, segment, now)
            moved += len(still)


async def _move(previous: dict[int, Segment], segment: Segment, now: datetime) -> None:
    """Move accounts (id: the segment they are leaving, as read under their lock) to
    `segment`, recording each change."""
    await Account.filter(id__in=list(previous)).update(segment=segment, segment_since=now)
    await SegmentChange.bulk_create(
        [
            SegmentChange(account_id=account_id, previous=left, segment=segment, changed_at=now)
            for account_id, left in previous.items()
        ]
    )
