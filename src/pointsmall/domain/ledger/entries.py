"""The ledger's one entry point: every operation that moves points goes through here.

Each operation is one database transaction that first locks the account row, so two
operations on one account never interleave (PostgreSQL: `SELECT ... FOR NO KEY UPDATE`;
SQLite serialises writers). Inside it:

- a retry with the same idempotency key returns the entry the first call wrote, and the
  same key with other parameters is refused (`IDEMPOTENCY_CONFLICT`); the key is unique
  per account in the database as well;
- points are drawn from spendable lots earliest expiry first, judged against the clock,
  so nothing is ever taken from a pending or expired lot, and each lot drawn from gets an
  allocation;
- the entry records the account's running total (`balance_after`), its counterparty and
  the audit trail (actor, role, reason, request id).

Invariants kept (and checked by `domain.audit` and the property tests): for every lot
`0 <= remaining <= amount` and `remaining == sum(its allocations)`; for every entry
`amount == sum(its allocations)`; for every account `ledger_balance == sum(its entries)
== sum(remaining of its unswept lots)` and `held == sum(its open holds)`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from tortoise.expressions import F

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.audience import tiers
from pointsmall.domain.errors import (
    AccountFrozen,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidValue,
)
from pointsmall.domain.ledger.accounts import lock_account
from pointsmall.domain.ledger.balances import points_of
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.notifications import inbox
from pointsmall.domain.notifications.notices import PointsEarnedNotice
from pointsmall.domain.risk import checks
from pointsmall.metrics import LEDGER, POINTS
from pointsmall.models import (
    Account,
    Allocation,
    Counterparty,
    Entry,
    EntryKind,
    Lot,
)
from pointsmall.models.ledger import LotSource
from pointsmall.models.risk import BanScope, RiskAction

MAX_FUTURE = timedelta(days=366)  # how far ahead a grant may mature
T = TypeVar("T")


@dataclass(frozen=True)
class LedgerRequest:
    """Who asks, why, under which idempotency key, and about what (order, redemption...)."""

    actor: Actor
    idempotency_key: str | None = None
    reason: str | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        # Normalised here so every operation sees the same stripped values.
        if self.idempotency_key is not None:
            object.__setattr__(
                self, "idempotency_key", validation.idempotency_key(self.idempotency_key)
            )
        object.__setattr__(self, "reason", validation.reason(self.reason))
        object.__setattr__(
            self,
            "reference",
            validation.text(self.reference, "reference", validation.MAX_REFERENCE_LENGTH),
        )

    def require_reason(self) -> None:
        if self.reason is None:
            raise InvalidValue("a reason is required", field="reason")


@dataclass(frozen=True)
class Draw:
    """Points taken from (negative) or given to (positive) one lot."""

    lot_id: int
    amount: int


def fingerprint(operation: str, **parameters: object) -> str:
    """What a retry must repeat exactly to be the same request."""
    canonical = json.dumps([operation, parameters], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def caller_key(namespace: str, key: str) -> str:
    """A key chosen by a caller of the API (the app, the shop, ops), in a namespace of its
    own: it can never collide with the keys the system gives its own entries (`order:...`,
    `redemption:...`, `refund:...`), whatever the caller picks."""
    given = validation.idempotency_key(key)
    namespaced = f"{namespace}:{given}"
    if len(namespaced) <= validation.MAX_KEY_LENGTH:
        return namespaced  # readable in the audit trail
    return f"{namespace}:sha256:{hashlib.sha256(given.encode()).hexdigest()[:48]}"


async def account_operation(
    account_id: int,
    request: LedgerRequest,
    operation_fingerprint: str,
    body: Callable[[Account, datetime], Awaitable[T]],
    replay: Callable[[Entry], Awaitable[T]],
) -> T:
    """Run `body` in one transaction with the account locked, or replay an earlier result.

    Listeners hear of the change once it has committed.
    """
    async with events.atomic():
        account = await lock_account(account_id)
        if request.idempotency_key is not None:
            earlier = await Entry.get_or_none(
                account_id=account_id, idempotency_key=request.idempotency_key
            )
            if earlier is not None:
                if earlier.request_fingerprint != operation_fingerprint:
                    raise IdempotencyConflict(
                        "this idempotency key was already used for a different request",
                        field="idempotencyKey",
                    )
                return await replay(earlier)
        events.after_commit(events.AccountChanged(account_id))
        return await body(account, clock.now())


async def same_entry(entry: Entry) -> Entry:
    return entry


async def post_entry(
    account: Account,
    request: LedgerRequest,
    operation_fingerprint: str,
    *,
    kind: EntryKind,
    counterparty: Counterparty,
    amount: int,
    draws: Sequence[Draw],
    now: datetime,
    hold_id: int | None = None,
    reverses_id: int | None = None,
    debt_change: int = 0,
) -> Entry:
    """Append one entry with its allocations and move the account's running totals."""
    assert amount == sum(draw.amount for draw in draws), "allocations must add up"
    account.ledger_balance += amount
    account.debt += debt_change
    entry = await Entry.create(
        account_id=account.id,
        kind=kind,
        amount=amount,
        balance_after=account.ledger_balance,
        counterparty=counterparty,
        reference=request.reference,
        reason=request.reason,
        actor=request.actor.user_id,
        actor_role=request.actor.role,
        request_id=request.actor.request_id,
        idempotency_key=request.idempotency_key,
        request_fingerprint=operation_fingerprint if request.idempotency_key else None,
        hold_id=hold_id,
        reverses_id=reverses_id,
        debt_change=debt_change,
        created_at=now,
    )
    LEDGER.labels(kind.value).inc()
    if counterparty == Counterparty.ISSUED and amount > 0:
        POINTS.labels("issued").inc(amount)
    elif counterparty == Counterparty.REDEEMED and amount < 0:
        POINTS.labels("redeemed").inc(-amount)
    if counterparty == Counterparty.ISSUED and amount and not account.frozen:
        # Frozen accounts stay off the leaderboards; unfreezing recomputes their scores.
        events.after_commit(events.PointsIssued(account.id, amount, now))
    if draws:
        await Allocation.bulk_create(
            [
                Allocation(entry_id=entry.id, lot_id=draw.lot_id, amount=draw.amount)
                for draw in draws
            ]
        )
    await Account.filter(id=account.id).update(
        ledger_balance=account.ledger_balance,
        held=account.held,
        debt=account.debt,
        updated_at=now,
    )
    return entry


async def new_lot(
    account_id: int,
    amount: int,
    *,
    source: LotSource,
    now: datetime,
    available_at: datetime,
    expires_at: datetime,
) -> Draw:
    lot = await Lot.create(
        account_id=account_id,
        amount=amount,
        remaining=amount,
        source=source,
        earned_at=now,
        available_at=available_at,
        expires_at=expires_at,
    )
    return Draw(lot_id=lot.id, amount=amount)


async def draw_points(
    account_id: int,
    amount: int,
    now: datetime,
    *,
    include_pending: bool = False,
    pending_first: bool = False,
) -> list[Draw]:
    """Take `amount` from the account's lots, earliest expiry first.

    Only spendable lots (available, not expired) unless `include_pending`, when pending
    lots follow the spendable ones (admin debits and forfeits), or come before them with
    `pending_first` (refunds take back what was not spendable yet first).
    """
    lots = await Lot.filter(account_id=account_id, remaining__gt=0, expires_at__gt=now).order_by(
        "expires_at", "id"
    )
    spendable = [lot for lot in lots if lot.available_at <= now]
    pending = [lot for lot in lots if lot.available_at > now] if include_pending else []
    candidates = pending + spendable if pending_first else spendable + pending
    available = sum(lot.remaining for lot in candidates)
    if available < amount:
        raise InsufficientPoints(
            f"needs {amount:,} points, {available:,} available", field="amount"
        )
    draws: list[Draw] = []
    left = amount
    for lot in candidates:
        if left == 0:
            break
        take = min(lot.remaining, left)
        changed = await Lot.filter(id=lot.id, remaining__gte=take).update(
            remaining=F("remaining") - take
        )
        if changed != 1:  # cannot happen under the account lock; never write a wrong ledger
            raise RuntimeError(f"lot {lot.id} changed under the account lock")
        draws.append(Draw(lot_id=lot.id, amount=-take))
        left -= take
    return draws


async def return_points(
    account_id: int, draws: Sequence[Draw], now: datetime, rules: LedgerRules
) -> list[Draw]:
    """Give points back to the lots they were drawn from (`draws` are negative).

    A lot that has expired meanwhile does not come back to life: its points go to one new
    GRACE lot, spendable for `rules.reversal_grace` from now.
    """
    lots = {lot.id: lot for lot in await Lot.filter(id__in=[draw.lot_id for draw in draws])}
    returned: list[Draw] = []
    expired_total = 0
    for draw in draws:
        points = -draw.amount
        lot = lots[draw.lot_id]
        if lot.expires_at <= now:
            expired_total += points
            continue
        await Lot.filter(id=lot.id).update(remaining=F("remaining") + points)
        returned.append(Draw(lot_id=lot.id, amount=points))
    if expired_total:
        returned.append(
            await new_lot(
                account_id,
                expired_total,
                source=LotSource.GRACE,
                now=now,
                available_at=now,
                expires_at=now + rules.reversal_grace,
            )
        )
    return returned


def ensure_can_spend(account: Account) -> None:
    if account.frozen:
        raise AccountFrozen("this account is frozen: its points cannot be spent or held")


async def earn(
    account_id: int,
    amount: int,
    request: LedgerRequest,
    rules: LedgerRules,
    *,
    available_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> Entry:
    """Credit a new lot. Pending until `available_at`; expires per policy unless `expires_at`.

    A frozen or banned account earns nothing: the points are credited and at once refused
    (a FORFEIT entry saying why), so an appeal can give exactly them back. Points owed
    (a refund that came after they were spent) are paid off from new points first: a
    REPAYMENT entry right after the EARN one takes them from the new lot.
    """
    validation.positive_points(amount)
    available_at = validation.moment(available_at, "availableAt")
    expires_at = validation.moment(expires_at, "expiresAt")
    operation = fingerprint(
        "earn",
        amount=amount,
        available_at=available_at,
        expires_at=expires_at,
        reference=request.reference,
    )

    async def body(account: Account, now: datetime) -> Entry:
        matures = max(available_at or now, now)
        if matures > now + MAX_FUTURE:
            raise InvalidValue("availableAt must be within a year", field="availableAt")
        expiry = expires_at or rules.expires_at(matures)
        if expiry <= matures:
            raise InvalidValue(
                "expiresAt must be later than now and than availableAt", field="expiresAt"
            )
        banned = await checks.active_ban(account.id, BanScope.EARN, now)
        by_user = request.actor.role == "user"  # the velocity rules watch users' own earning
        if by_user and request.actor.user_id == account.user_id:
            await checks.own_action(account.id, "EARN", request.actor, now)
        case = None if banned or not by_user else await checks.on_earning(account.id, amount, now)
        held = case is not None and case.action in (RiskAction.HOLD, RiskAction.FREEZE)
        if case is not None and case.action == RiskAction.FREEZE and not account.frozen:
            await _freeze(account, request, case.id, now)
        lot = await new_lot(
            account.id,
            amount,
            source=LotSource.EARN,
            now=now,
            available_at=checks.HELD if held else matures,
            expires_at=expiry,
        )
        if held and case is not None:  # pending until the case is decided
            await Lot.filter(id=lot.lot_id).update(held_by_case_id=case.id, matures_at=matures)
        earned = await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.EARN,
            counterparty=Counterparty.ISSUED,
            amount=amount,
            draws=[lot],
            now=now,
        )
        if banned is not None or account.frozen:  # credited, then refused (an appeal
            # reverses the refusal, giving back exactly these points)
            why = (
                f"banned from earning until {banned.until.isoformat()}"
                if banned is not None
                else "the account is frozen"
            )
            await _refuse(account, request, lot, why, now)
            return earned
        if account.debt > 0:
            await _repay(account, request, lot, now)
        if held:  # no tier, no news, until the case is decided
            return earned
        await tiers.upgrade(account, now, rules.tiers)
        if matures <= now:  # pending points are announced when they mature (a job)
            summary = await points_of(account.id, now)
            await inbox.notify(
                account.id,
                PointsEarnedNotice(amount, request.reason, summary.balance),
                dedupe_key=f"earned:{earned.id}",
            )
        return earned

    return await account_operation(account_id, request, operation, body, same_entry)


async def _freeze(account: Account, request: LedgerRequest, case_id: int, now: datetime) -> None:
    """A risk rule freezes the account (an entry of its own, as an admin's freeze)."""
    reason = f"frozen by risk case {case_id}"
    account.frozen = True
    await Account.filter(id=account.id).update(frozen=True, frozen_reason=reason)
    events.after_commit(events.AccountStanding(account.id, True))
    await post_entry(
        account,
        LedgerRequest(actor=request.actor, reason=reason, reference=request.reference),
        "",
        kind=EntryKind.FREEZE,
        counterparty=Counterparty.NONE,
        amount=0,
        draws=[],
        now=now,
    )


async def _refuse(
    account: Account, request: LedgerRequest, lot: Draw, why: str, now: datetime
) -> None:
    """A banned or frozen account earns nothing: the points just credited are forfeited
    at once, the entry saying why, so an appeal can give exactly them back
    (`reverseEntry`)."""
    await Lot.filter(id=lot.lot_id).update(remaining=0)
    await post_entry(
        account,
        LedgerRequest(
            actor=request.actor,
            reason=f"earning refused: {why}",
            reference=request.reference,
        ),
        "",
        kind=EntryKind.FORFEIT,
        counterparty=Counterparty.FORFEITED,
        amount=-lot.amount,
        draws=[Draw(lot.lot_id, -lot.amount)],
        now=now,
    )


async def _repay(account: Account, request: LedgerRequest, lot: Draw, now: datetime) -> None:
    paid = min(account.debt, lot.amount)
    await Lot.filter(id=lot.lot_id).update(remaining=F("remaining") - paid)
    repayment = LedgerRequest(
        actor=request.actor,
        reason=f"{paid:,} points paid off what a refund left owed",
        reference=request.reference,
    )
    await post_entry(
        account,
        repayment,
        "",
        kind=EntryKind.REPAYMENT,
        counterparty=Counterparty.ISSUED,
        amount=-paid,
        draws=[Draw(lot.lot_id, -paid)],
        now=now,
        debt_change=-paid,
    )


async def spend(account_id: int, amount: int, request: LedgerRequest) -> Entry:
    """Debit spendable points, earliest expiry first. Refused on a frozen account."""
    validation.positive_points(amount)
    operation = fingerprint("spend", amount=amount, reference=request.reference)

    async def body(account: Account, now: datetime) -> Entry:
        ensure_can_spend(account)
        draws = await draw_points(account.id, amount, now)
        return await post_entry(
            account,
            request,
            operation,
            kind=EntryKind.SPEND,
            counterparty=Counterparty.REDEEMED,
            amount=-amount,
            draws=draws,
            now=now,
        )

    return await account_operation(account_id, request, operation, body, same_entry)
