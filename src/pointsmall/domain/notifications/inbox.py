"""Notifications: stored in the transaction that caused them, published after its commit.

`notify` is called inside the domain operation (a redemption's change, an earning, a
task's tier) with the account row locked, so each user's notifications get increasing
ids in the order they commit: a client that reconnects with the last id it saw receives
exactly what it missed, in order. Scheduled jobs add the expiry warnings and the news
that pending order points became spendable; their `dedupe_key`s (unique per user) make
every warning once-only, however often and on however many workers the jobs run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pointsmall import clock, sql
from pointsmall.domain import events
from pointsmall.domain.ledger.accounts import lock_accounts, zone_of
from pointsmall.domain.ledger.balances import live_lots, summarize
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.notifications.notices import (
    ExpiryWarning,
    Notice,
    PointsEarnedNotice,
    payload_of,
)
from pointsmall.models import Allocation, Lot, Notification


async def notify(account_id: int, notice: Notice, *, dedupe_key: str | None = None) -> None:
    """Store a notification (inside the caller's transaction, the account locked) and
    publish it after the commit. With a `dedupe_key` already used: nothing."""
    await notify_many([Outgoing(account_id, notice, dedupe_key)])


@dataclass(frozen=True)
class Outgoing:
    """A notification to store; with a `dedupe_key` (unique per user), once."""

    account_id: int
    notice: Notice
    dedupe_key: str | None = None


async def notify_many(outgoing: Sequence[Outgoing]) -> int:
    """Store notifications for many users at once, in a fixed number of statements: inside
    the caller's transaction, with every account named already locked (`lock_accounts`).
    What a user was told already (the same `dedupe_key`) is left out; a call holds at most
    one notification without a key per user. Returns how many were stored.

    Each is published after the commit naming the user's notification before it, so a
    subscriber can tell a gap (messages overtaking each other between processes, or one
    lost while Redis was away) and reread the inbox instead of skipping what it has not
    seen. The account locks make that exact: no other notification of these users can
    commit meanwhile (the unique `dedupe_key` stays the database's own guard)."""
    keys = {item.dedupe_key for item in outgoing if item.dedupe_key is not None}
    account_ids = sorted({item.account_id for item in outgoing})
    told = (
        set(
            await Notification.filter(account_id__in=account_ids, dedupe_key__in=keys).values_list(
                "account_id", "dedupe_key"
            )
        )
        if keys
        else set()
    )
    fresh: dict[tuple[int, str | None], Outgoing] = {}
    for item in outgoing:
        key = (item.account_id, item.dedupe_key)
        if key in fresh:
            raise ValueError(f"two notifications for account {item.account_id} under one key")
        if key not in told:
            fresh[key] = item
    if not fresh:
        return 0
    among, among_params = sql.among('"account_id"', account_ids, 1)
    newest = {
        int(row["account_id"]): int(row["newest"])
        for row in await sql.fetch(
            'SELECT "account_id", MAX("id") AS "newest" FROM "notification" '
            f'WHERE {among} GROUP BY "account_id"',
            *among_params,
        )
    }
    now = clock.now()
    values: list[object] = []
    for item in fresh.values():
        values += [
            item.account_id,
            item.notice.kind.value,
            json.dumps(payload_of(item.notice)),
            item.dedupe_key,
            now,
        ]
    rows = await sql.fetch(
        'INSERT INTO "notification" ("account_id", "kind", "payload", "dedupe_key", '
        '"created_at") VALUES '
        + ", ".join(f"({sql.placeholders(range(5), 5 * row + 1)})" for row in range(len(fresh)))
        + ' RETURNING "id", "account_id", "dedupe_key"',
        *values,
    )
    for row in sorted(rows, key=lambda row: int(row["id"])):
        account_id, stored_id = int(row["account_id"]), int(row["id"])
        events.after_commit(
            events.NotificationCreated(
                account_id=account_id,
                notification_id=stored_id,
                previous_id=newest.get(account_id, 0),
                notice=fresh[(account_id, row["dedupe_key"])].notice,
                created_at=now,
            )
        )
        newest[account_id] = stored_id
    return len(rows)


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


async def warn_expiring(
    rules: LedgerRules, thresholds: tuple[int, ...] = (3, 1), *, batch_size: int = 500
) -> int:
    """Warn users whose points expire within each threshold (days): once per user, expiry
    date (in their time zone) and threshold. Returns how many warnings went out.

    Set-based: a batch of users costs a fixed handful of statements (their lots, their
    rows locked in id order, the warnings they had, one insert), whatever it holds."""
    now = clock.now()
    horizon = now + timedelta(days=max(thresholds))
    sent = 0
    after = 0
    while True:
        rows = await sql.fetch(
            'SELECT DISTINCT "account_id" FROM "points_lot" WHERE "remaining" > 0 '
            'AND "expires_at" > $1 AND "expires_at" <= $2 AND "available_at" <= $1 '
            'AND "account_id" > $3 ORDER BY "account_id" LIMIT $4',
            now,
            horizon,
            after,
            batch_size,
        )
        if not rows:
            return sent
        account_ids = [int(row["account_id"]) for row in rows]
        after = account_ids[-1]
        sent += await _warn_batch(account_ids, rules, thresholds, now, horizon)


async def _warn_batch(
    account_ids: list[int],
    rules: LedgerRules,
    thresholds: tuple[int, ...],
    now: datetime,
    horizon: datetime,
) -> int:
    async with events.atomic():
        accounts = {account.id: account for account in await lock_accounts(account_ids)}
        lots = await Lot.filter(
            account_id__in=[account_id for account_id, row in accounts.items() if not row.frozen],
            remaining__gt=0,
            expires_at__gt=now,
            expires_at__lte=horizon,
            available_at__lte=now,
        ).only("account_id", "remaining", "expires_at")
        by_day: dict[tuple[int, str], Due] = {}
        for lot in lots:
            zone = zone_of(accounts[lot.account_id], rules.zone)
            day = lot.expires_at.astimezone(zone).date().isoformat()
            earlier = by_day.get((lot.account_id, day))
            by_day[(lot.account_id, day)] = Due(
                lot.account_id,
                min(earlier.expires_at, lot.expires_at) if earlier else lot.expires_at,
                (earlier.amount if earlier else 0) + lot.remaining,
            )
        warnings = []
        for (account_id, day), due in sorted(by_day.items(), key=lambda pair: pair[1].expires_at):
            threshold = min(
                days for days in thresholds if due.expires_at <= now + timedelta(days=days)
            )
            warnings.append(
                Outgoing(
                    account_id,
                    ExpiryWarning(due.amount, due.expires_at, threshold),
                    f"expiring:{day}:{threshold}",
                )
            )
        return await notify_many(warnings)


async def announce_matured(
    lookback: timedelta = timedelta(days=3), *, batch_size: int = 500
) -> int:
    """Tell users their pending points (an order's return window) became spendable, with
    what is left of them (a partial refund took its share). Lots told about already are
    left out by a set-based read; the rest go out a batch of users at a time, in a fixed
    number of statements a batch. A lot that matured while the jobs were down for up to
    `lookback` is still announced."""
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
    account_ids = sorted({lot.account_id for lot in matured})
    sent = 0
    for start in range(0, len(account_ids), batch_size):
        batch = set(account_ids[start : start + batch_size])
        sent += await _announce_batch(
            [lot for lot in matured if lot.account_id in batch], reasons, now
        )
    return sent


async def _announce_batch(matured: list[Lot], reasons: dict[int, str | None], now: datetime) -> int:
    async with events.atomic():
        account_ids = sorted({lot.account_id for lot in matured})
        accounts = {account.id: account for account in await lock_accounts(account_ids)}
        # As they are now, the accounts locked: a refund may have taken what was left.
        left = dict(
            await Lot.filter(id__in=[lot.id for lot in matured]).values_list("id", "remaining")
        )
        live = await live_lots(account_ids)
        announcements = []
        for lot in matured:
            account = accounts[lot.account_id]
            if account.frozen or not left.get(lot.id):
                continue
            spendable = summarize(
                live[account.id],
                held=account.held,
                frozen=account.frozen,
                at=now,
                owed=account.debt,
            ).balance
            notice = PointsEarnedNotice(
                int(left[lot.id]), reasons.get(lot.id) or "points now available", spendable
            )
            announcements.append(Outgoing(account.id, notice, f"matured:{lot.id}"))
        return await notify_many(announcements)


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
