"""What happens to a redemption after it is made: review, payment, fulfilment, cancellation.

    PENDING_REVIEW --approve--> AWAITING_PAYMENT (points + cash) or CONFIRMED
    PENDING_REVIEW --reject---> CANCELLED           (points released, stock and quota back)
    AWAITING_PAYMENT --paid---> CONFIRMED           (held points captured)
    AWAITING_PAYMENT --timeout or cancel--> CANCELLED
    CONFIRMED --ship--> SHIPPED --deliver--> FULFILLED (or CONFIRMED --> FULFILLED)
    CONFIRMED / SHIPPED / FULFILLED --cancel--> REFUNDED (points reversed to their lots)

Users may cancel while nothing has been delivered: before confirmation, or a confirmed
physical item not yet shipped. Admins may cancel anything not already cancelled or
refunded. Units come back to stock unless they left the building (shipped, delivered, or
coupon codes already shown); quota always comes back.

Every change is one transaction with the account row locked, so two changes to one
redemption never interleave; each is logged (`RedemptionChange`) and announced.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import F

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.engagement import task_progress
from pointsmall.domain.errors import InvalidState, InvalidValue, NotFound
from pointsmall.domain.ledger import holds, reversals
from pointsmall.domain.ledger.accounts import lock_account
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.redemptions import (
    PAYMENT_WINDOW,
    count_when_settled,
    deliver,
    record_change,
    redemption_source,
)
from pointsmall.domain.wording import with_article
from pointsmall.models import (
    CouponCode,
    Entry,
    EntryKind,
    Item,
    ItemKind,
    QuotaUsage,
    Redemption,
    RedemptionStatus,
)

OPEN = (RedemptionStatus.PENDING_REVIEW, RedemptionStatus.AWAITING_PAYMENT)
FINAL = (RedemptionStatus.CANCELLED, RedemptionStatus.REFUNDED)
DELIVERED = (RedemptionStatus.SHIPPED, RedemptionStatus.FULFILLED)


@dataclass(frozen=True)
class Tracking:
    carrier: str
    number: str


async def _locked(redemption_id: int, account_id: int | None = None) -> Redemption:
    """The redemption, re-read with its account locked (`account_id`: must be theirs)."""
    found = await Redemption.get_or_none(id=redemption_id)
    if found is None or (account_id is not None and found.account_id != account_id):
        raise NotFound("no such redemption", field="redemptionId")
    await lock_account(found.account_id)
    return await Redemption.get(id=redemption_id)


def _points_request(
    redemption: Redemption, actor: Actor, step: str, reason: str | None
) -> LedgerRequest:
    return LedgerRequest(
        actor=actor,
        idempotency_key=f"redemption:{redemption.id}:{step}",
        reason=reason,
        reference=f"redemption:{redemption.id}",
    )


async def _move(
    redemption: Redemption,
    status: RedemptionStatus,
    actor: Actor,
    reason: str | None,
    **changes: object,
) -> Redemption:
    previous = redemption.status
    redemption.status = status
    await Redemption.filter(id=redemption.id).update(
        status=status, status_reason=reason, updated_at=clock.now(), **changes
    )
    await record_change(redemption, previous, actor, reason)
    await redemption.refresh_from_db()
    return redemption


async def _confirm(
    redemption: Redemption, actor: Actor, reason: str, rules: LedgerRules
) -> Redemption:
    """Capture the held points and hand over what the item gives at once."""
    assert redemption.hold_id is not None
    await holds.capture(redemption.hold_id, _points_request(redemption, actor, "capture", reason))
    item = await Item.get(id=redemption.item_id)
    await deliver(redemption, item, clock.now())
    confirmed = await _move(redemption, RedemptionStatus.CONFIRMED, actor, reason)
    await count_when_settled(confirmed, item, rules)
    return confirmed


async def review(
    redemption_id: int, approve: bool, reason: str | None, actor: Actor, rules: LedgerRules
) -> Redemption:
    """An admin's decision on a high-value redemption."""
    reason = validation.reason(reason, required=not approve)
    async with events.atomic():
        redemption = await _locked(redemption_id)
        if redemption.status != RedemptionStatus.PENDING_REVIEW:
            raise InvalidState(f"this redemption is {redemption.status.value}, not under review")
        if not approve:
            return await _cancel(redemption, actor, reason, rules)
        if redemption.cash_amount:
            return await _move(
                redemption,
                RedemptionStatus.AWAITING_PAYMENT,
                actor,
                reason,
                payment_due_at=clock.now() + PAYMENT_WINDOW,
            )
        return await _confirm(redemption, actor, reason or "approved", rules)


async def confirm_payment(
    redemption_id: int, payment_reference: str, actor: Actor, rules: LedgerRules
) -> Redemption:
    """The shop took the cash part: the held points are captured. Retries are harmless."""
    reference = validation.text(payment_reference, "paymentReference", 128, required=True)
    async with events.atomic():
        redemption = await _locked(redemption_id)
        if redemption.status == RedemptionStatus.CONFIRMED and (
            redemption.payment_reference == reference
        ):
            return redemption
        if redemption.status != RedemptionStatus.AWAITING_PAYMENT:
            raise InvalidState(
                f"this redemption is {redemption.status.value}, not awaiting payment"
            )
        due = redemption.payment_due_at
        if due is not None and clock.now() >= due:  # lapsed, even if the job has not run yet
            raise InvalidState(
                f"the payment window closed at {due:%Y-%m-%d %H:%M} UTC: refund the cash part"
            )
        await Redemption.filter(id=redemption.id).update(payment_reference=reference)
        return await _confirm(redemption, actor, "cash payment confirmed", rules)


async def fulfil(
    redemption_id: int,
    status: RedemptionStatus,
    tracking: Tracking | None,
    note: str | None,
    actor: Actor,
    rules: LedgerRules,
) -> Redemption:
    """Ops or the shop mark a redemption shipped (with tracking) or fulfilled."""
    note = validation.reason(note)
    if status not in DELIVERED:
        raise InvalidValue("status is SHIPPED or FULFILLED", field="status")
    async with events.atomic():
        redemption = await _locked(redemption_id)
        item = await Item.get(id=redemption.item_id)
        allowed_from = {
            RedemptionStatus.SHIPPED: (RedemptionStatus.CONFIRMED,),
            RedemptionStatus.FULFILLED: (RedemptionStatus.CONFIRMED, RedemptionStatus.SHIPPED),
        }[status]
        if redemption.status not in allowed_from:
            raise InvalidState(
                f"{with_article(redemption.status.value)} redemption cannot become {status.value}"
            )
        changes: dict[str, object] = {}
        if status == RedemptionStatus.SHIPPED:
            if item.kind != ItemKind.PHYSICAL:
                raise InvalidState("only physical items are shipped")
            if tracking is None:
                raise InvalidValue("shipping needs tracking {carrier number}", field="tracking")
            carrier = validation.text(tracking.carrier, "tracking", 64, required=True)
            number = validation.text(tracking.number, "tracking", 64, required=True)
            changes["tracking"] = {"carrier": carrier or "", "number": number or ""}
        previous = redemption.status
        moved = await _move(redemption, status, actor, note, **changes)
        if previous == RedemptionStatus.CONFIRMED:  # the first step out of the user's reach
            await count_when_settled(moved, item, rules)
        return moved


async def cancel(
    redemption_id: int,
    reason: str | None,
    actor: Actor,
    rules: LedgerRules,
    *,
    owner_account_id: int | None,
) -> Redemption:
    """Cancel and give back. `owner_account_id`: a user cancelling their own redemption."""
    reason = validation.reason(reason, required=owner_account_id is None)
    async with events.atomic():
        redemption = await _locked(redemption_id, owner_account_id)
        if redemption.status in FINAL:
            raise InvalidState(f"this redemption is already {redemption.status.value}")
        if owner_account_id is not None:
            item = await Item.get(id=redemption.item_id)
            user_may = redemption.status in OPEN or (
                redemption.status == RedemptionStatus.CONFIRMED and item.kind == ItemKind.PHYSICAL
            )
            if not user_may:
                raise InvalidState("this redemption can no longer be cancelled: ask support")
        return await _cancel(redemption, actor, reason or "cancelled by the user", rules)


async def _cancel(
    redemption: Redemption, actor: Actor, reason: str | None, rules: LedgerRules
) -> Redemption:
    request = _points_request(redemption, actor, "cancel", reason)
    if redemption.status in OPEN:
        assert redemption.hold_id is not None
        await holds.release(redemption.hold_id, request, rules)
        target = RedemptionStatus.CANCELLED
    else:
        spent = await _spend_entry_id(redemption)
        await reversals.reverse(spent, request, rules)
        # A refunded redemption no longer counts towards REDEEM tasks.
        await task_progress.withdraw_progress(
            redemption.account_id, redemption_source(redemption), actor
        )
        target = RedemptionStatus.REFUNDED
    await _give_back_units(redemption)
    return await _move(redemption, target, actor, reason)


async def _spend_entry_id(redemption: Redemption) -> int:
    """The entry that took the points: the spend, or the HOLD entry of a captured hold."""
    if redemption.spend_entry_id is not None:
        return redemption.spend_entry_id
    entry: Entry = await Entry.get(hold_id=redemption.hold_id, kind=EntryKind.HOLD)
    return int(entry.id)


async def _give_back_units(redemption: Redemption) -> None:
    item = await Item.get(id=redemption.item_id)
    codes_shown = await CouponCode.filter(redemption_id=redemption.id).exists()
    if item.stock_remaining is not None and redemption.status not in DELIVERED and not codes_shown:
        await Item.filter(id=item.id).update(
            stock_remaining=F("stock_remaining") + redemption.quantity
        )
        events.after_commit(events.StockAdded(item.id, redemption.quantity))
    if redemption.quota_period is not None:
        await QuotaUsage.filter(
            account_id=redemption.account_id,
            item_id=item.id,
            period=redemption.quota_period,
            used__gte=redemption.quantity,
        ).update(used=F("used") - redemption.quantity)
        events.after_commit(
            events.QuotaReturned(
                item.id, redemption.account_id, redemption.quota_period, redemption.quantity
            )
        )


async def lapse_unpaid(actor: Actor, rules: LedgerRules, batch_size: int = 200) -> int:
    """Cancel redemptions whose cash payment did not arrive in time; returns how many."""
    now = clock.now()
    due = (
        await Redemption.filter(status=RedemptionStatus.AWAITING_PAYMENT, payment_due_at__lte=now)
        .order_by("payment_due_at")
        .limit(batch_size)
        .only("id")
    )
    lapsed = 0
    for unpaid in due:
        async with events.atomic():
            redemption = await _locked(unpaid.id)
            if redemption.status != RedemptionStatus.AWAITING_PAYMENT:
                continue  # paid or cancelled meanwhile
            await _cancel(redemption, actor, "payment not received in time", rules)
            lapsed += 1
    return lapsed
