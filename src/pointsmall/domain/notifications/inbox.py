"""Notifications: stored in the transaction that caused them, published after its commit.

`notify` is called inside the domain operation (a redemption's change, an earning, a
task's tier) with the account row locked, so each user's notifications get increasing
ids in the order they commit: a client that reconnects with the last id it saw receives
exactly what it missed, in order. Scheduled jobs add the expiry warnings and the news
that pending order points became spendable; their `dedupe_key`s (unique per user) make
every warning once-only, however often and on however many workers the jobs run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from pointsmall import clock
from pointsmall.domain import events
from pointsmall.domain.ledger.accounts import lock_account, zone_of
from pointsmall.domain.ledger.balances import points_of
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.notifications.notices import (
    ExpiryWarning,
    Notice,
    PointsEarnedNotice,
    payload_of,
)
from pointsmall.models import Account, Allocation, Lot, Notification


async def notify(
    account_id: int, notice: Notice, *, dedupe_key: str | None = None
) -> Notification | None:
    """Store a notification (inside the caller's transaction, the account locked) and
    publish it after the commit. With a `dedupe_key` already used: nothing, None.

    The published message names the user's notification before it, so a subscriber can
    tell a gap (messages overtaking each other between processes, or one lost while Redis
    was away) and reread the inbox instead of skipping what it has not seen. The account
    lock makes both reads exact: no other notification of the user can commit meanwhile
    (the unique `dedupe_key` stays the database's own guard)."""
    if dedupe_key is not None and await Notification.exists(
        account_id=account_id, dedupe_key=dedupe_key
    ):
        return None
    now = clock.now()
    previous = await latest_id(account_id)
    stored = await Notification.create(
        account_id=account_id,
        kind=notice.kind,
        payload=payload_of(notice),
        dedupe_key=dedupe_key,
        created_at=now,
    )
    events.after_commit(
        events.NotificationCreated(
            account_id=account_id,
            notification_id=stored.id,
            previous_id=previous,
            notice=notice,
            created_at=now,
        )
    )
    return stored


async def mark_read(account_id: int, ids: list[int] | None) -> int:
    """Mark some (or, with None, all) of the user's notifications read; returns how many."""
    query = Notification.filter(account_id=account_id, read_at__isnull=True)
    if ids is not None:
        query = query.filter(id__in=ids)
    return int(await query.update(read_at=clock.now()))


async def latest_id(account_id: int) -> int:
    """The id of the user's newest notification (0 without any)."""
    newest = await Notification.filter(account_id=account_id).order_by("-id").first()
    return newest.id if newest else 0


async def unread_count(account_id: int) -> int:
    return int(await Notification.filter(account_id=account_id, read_at__isnull=True).count())


async def page(
    account_id: int,
    *,
    after_id: int | None,
    before_id: int | None,
    limit: int,
    unread_only: bool = False,
    newest_first: bool = True,
) -> list[Notification]:
    query = Notification.filter(account_id=account_id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id" if newest_first else "id").limit(limit)


@dataclass(frozen=True)
class Due:
    account_id: int
    expires_at: datetime
    amount: int


async def warn_expiring(rules: LedgerRules, thresholds: tuple[int, ...] = (3, 1)) -> int:
    """Warn users whose points expire within each threshold (days): once per user, expiry
    date (in their time zone) and threshold. Returns how many warnings went out."""
    now = clock.now()
    horizon = now + timedelta(days=max(thresholds))
    lots = await Lot.filter(
        remaining__gt=0, expires_at__gt=now, expires_at__lte=horizon, available_at__lte=now
    ).only("account_id", "remaining", "expires_at")
    if not lots:
        return 0
    accounts = {
        account.id: account
        for account in await Account.filter(id__in={lot.account_id for lot in lots})
    }
    by_day: dict[tuple[int, str], Due] = {}
    for lot in lots:
        account = accounts[lot.account_id]
        zone = zone_of(account, rules.zone)
        day = lot.expires_at.astimezone(zone).date().isoformat()
        key = (lot.account_id, day)
        earlier = by_day.get(key)
        by_day[key] = Due(
            lot.account_id,
            min(earlier.expires_at, lot.expires_at) if earlier else lot.expires_at,
            (earlier.amount if earlier else 0) + lot.remaining,
        )
    sent = 0
    per_account: dict[int, list[tuple[str, Due]]] = defaultdict(list)
    for (account_id, day), due in by_day.items():
        per_account[account_id].append((day, due))
    for account_id, dues in per_account.items():
        if accounts[account_id].frozen:
            continue
        async with events.atomic():
            await lock_account(account_id)  # ids in commit order, per user
            for day, due in sorted(dues, key=lambda pair: pair[1].expires_at):
                threshold = min(
                    days for days in thresholds if due.expires_at <= now + timedelta(days=days)
                )
                stored = await notify(
                    account_id,
                    ExpiryWarning(due.amount, due.expires_at, threshold),
                    dedupe_key=f"expiring:{day}:{threshold}",
                )
                sent += stored is not None
    return sent


async def announce_matured(lookback: timedelta = timedelta(days=3)) -> int:
    """Tell users their pending points (an order's return window) became spendable, with
    what is left of them (a partial refund took its share). Lots told about already are
    left out by a set-based read, so a run costs a transaction per new announcement only;
    a lot that matured while the jobs were down for up to `lookback` is still announced."""
    now = clock.now()
    lots = await Lot.filter(
        available_at__gt=now - lookback, available_at__lte=now, remaining__gt=0
    ).order_by("available_at", "id")
    matured = await _not_told([lot for lot in lots if lot.available_at > lot.earned_at])
    if not matured:
        return 0
    reasons = {
        allocation.lot_id: allocation.entry.reason
        for allocation in await Allocation.filter(
            lot_id__in=[lot.id for lot in matured], amount__gt=0
        )
        .prefetch_related("entry")
        .order_by("id")
    }
    sent = 0
    for lot in matured:
        async with events.atomic():
            account = await lock_account(lot.account_id)
            lot = await Lot.get(id=lot.id)  # as it is now, the account locked
            if account.frozen or lot.remaining == 0:
                continue
            stored = await notify(
                lot.account_id,
                PointsEarnedNotice(
                    lot.remaining,
                    reasons.get(lot.id) or "points now available",
                    await _spendable(lot.account_id, now),
                ),
                dedupe_key=f"matured:{lot.id}",
            )
            sent += stored is not None
    return sent


async def _not_told(lots: list[Lot], chunk: int = 1_000) -> list[Lot]:
    told: set[str] = set()
    for start in range(0, len(lots), chunk):
        part = lots[start : start + chunk]
        rows = await Notification.filter(
            account_id__in={lot.account_id for lot in part},
            dedupe_key__in=[f"matured:{lot.id}" for lot in part],
        ).values_list("dedupe_key", flat=True)
        told.update(str(key) for key in rows)
    return [lot for lot in lots if f"matured:{lot.id}" not in told]


async def _spendable(account_id: int, now: datetime) -> int:
    return (await points_of(account_id, now)).balance
