"""Lifecycle gifts: a welcome, a wake-up, a birthday; each paid exactly once per occasion.

- welcome: when the shop tells of a new registration (`upsertUser` with a `registeredAt`
  within the NEW days);
- wake-up: when a user turns DORMANT (each such move is an occasion, `wake-up:<move id>`):
  points that expire soon, optionally a partner coupon from an item's code pool, and a
  notification. Paid by the segments job right after it moves users, and again for any
  move of the last week it finds unpaid (a crash between the two costs nothing);
- birthday: on the user's birthday in their time zone (29 February: the 28th in other
  years), once a year, by the same hourly job.

Each gift is one transaction with the account locked: the gift row (unique per user and
occasion: the database's own guard), the points through the ledger under the key
`gift:<occasion>`, the coupon, the notification. A replay, or a second worker at once,
finds the gift given and gives nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError

from pointsmall import clock, sql
from pointsmall.domain import events
from pointsmall.domain.actors import SYSTEM
from pointsmall.domain.audience.lifecycle import LifecycleRules
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import lock_account, zone_of
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.coupons import give_code
from pointsmall.domain.notifications import inbox
from pointsmall.domain.notifications.notices import GiftReceivedNotice
from pointsmall.models import Account, Dimension, Gift, Segment

WAKE_UP_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class GiftRules:
    welcome_points: int = 100  # 0: no welcome gift
    wake_up_points: int = 200  # 0: no wake-up points
    wake_up_expiry: timedelta = timedelta(days=14)
    wake_up_coupon_item_id: int | None = None  # a COUPON item whose pool gives one code
    birthday_points: int = 100  # 0: no birthday gift


@dataclass(frozen=True)
class Occasion:
    key: str  # unique per user: welcome, wake-up:<move id>, birthday:<year>
    kind: str  # welcome, wake-up, birthday
    points: int
    message: str
    expires_at: datetime | None = None
    coupon_item_id: int | None = None


async def give(account_id: int, occasion: Occasion, rules: LedgerRules) -> Gift | None:
    """Give the gift of an occasion, once: None if it was given already."""
    try:
        async with events.atomic():
            await lock_account(account_id)
            if await Gift.exists(account_id=account_id, occasion=occasion.key):
                return None
            now = clock.now()
            coupon = None
            if occasion.coupon_item_id is not None:
                coupon = await give_code(occasion.coupon_item_id, now)
            if occasion.points == 0 and coupon is None:
                return None  # nothing to give (the gift is off, the pool empty)
            gift = await Gift.create(
                account_id=account_id,
                occasion=occasion.key,
                points=occasion.points,
                coupon_code=coupon,
                created_at=now,
            )
            if occasion.points:
                await entries.earn(
                    account_id,
                    occasion.points,
                    LedgerRequest(
                        SYSTEM,
                        f"gift:{occasion.key}",
                        occasion.message,
                        reference=f"gift:{occasion.key}",
                    ),
                    rules,
                    expires_at=occasion.expires_at,
                )
            await inbox.notify(
                account_id,
                GiftReceivedNotice(
                    occasion.kind, occasion.points, occasion.expires_at, coupon, occasion.message
                ),
                dedupe_key=f"gift:{occasion.key}",
            )
            return gift
    except IntegrityError:  # given concurrently (the unique key): once is once
        return None


async def welcome(
    account: Account, now: datetime, rules: LedgerRules, lifecycle: LifecycleRules, gifts: GiftRules
) -> Gift | None:
    """The welcome gift of a user the shop says registered within the NEW days."""
    if account.registered_at is None or not gifts.welcome_points:
        return None
    if now - account.registered_at >= timedelta(days=lifecycle.new_days):
        return None
    occasion = Occasion("welcome", "welcome", gifts.welcome_points, "welcome to the mall")
    return await give(account.id, occasion, rules)


async def give_wake_up_gifts(now: datetime, rules: LedgerRules, gifts: GiftRules) -> int:
    """A wake-up gift for every move into DORMANT of the last week not yet given one.
    Returns how many were given."""
    if not gifts.wake_up_points and gifts.wake_up_coupon_item_id is None:
        return 0
    moves = await sql.fetch(
        'SELECT c."id", c."account_id" FROM "audience_segment_change" c '
        'WHERE c."dimension" = $1 AND c."segment" = $2 AND c."changed_at" > $3 '
        'AND NOT EXISTS (SELECT 1 FROM "audience_gift" g WHERE g."account_id" = c."account_id" '
        'AND g."occasion" = \'wake-up:\' || CAST(c."id" AS VARCHAR(20))) ORDER BY c."id"',
        Dimension.LIFECYCLE.value,
        Segment.DORMANT.value,
        now - WAKE_UP_LOOKBACK,
    )
    given = 0
    for move in moves:
        occasion = Occasion(
            f"wake-up:{int(move['id'])}",
            "wake-up",
            gifts.wake_up_points,
            "we miss you: a gift to come back to",
            expires_at=now + gifts.wake_up_expiry,
            coupon_item_id=gifts.wake_up_coupon_item_id,
        )
        given += await give(int(move["account_id"]), occasion, rules) is not None
    return given


def birthday_on(year: int, month: int, day: int) -> date:
    """The day a birthday falls on in a year (29 February: the 28th in other years)."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


async def give_birthday_gifts(now: datetime, rules: LedgerRules, gifts: GiftRules) -> int:
    """The birthday gift of every user whose birthday it is now, in their time zone.
    Returns how many were given."""
    if not gifts.birthday_points:
        return 0
    days = {(now + timedelta(days=shift)).date() for shift in (-1, 0, 1)}  # every zone's today
    wanted = {(day.month, day.day) for day in days} | {(2, 29)}
    given = 0
    for month, day in sorted(wanted):
        for account in await Account.filter(birth_month=month, birth_day=day).only(
            "id", "timezone", "birth_month", "birth_day"
        ):
            today = now.astimezone(zone_of(account, rules.zone)).date()
            if birthday_on(today.year, month, day) != today:
                continue
            occasion = Occasion(
                f"birthday:{today.year}", "birthday", gifts.birthday_points, "happy birthday!"
            )
            given += await give(account.id, occasion, rules) is not None
    return given
