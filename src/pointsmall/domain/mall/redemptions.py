"""Redeeming an item: the quote, and the redemption itself.

A redemption is one transaction: the account row is locked (so the points are drawn and
the idempotency key checked without interleaving), the user's quota and the item's stock
move by conditional updates, and the points are spent (or, for high-value items and
points-plus-cash items, held until a review or the payment). Any refusal rolls all of it
back: no points are taken, no stock, no quota. In front of that, the flash-sale gate
turns attempts away cheaply once an item is sold out (see `flash_gate`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from pointsmall import clock, sql
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.campaigns import effects
from pointsmall.domain.engagement import task_progress
from pointsmall.domain.errors import (
    AccountFrozen,
    DomainError,
    InvalidValue,
    NotFound,
    NotOnSale,
    OutOfStock,
    QuotaExceeded,
)
from pointsmall.domain.ledger import entries, holds
from pointsmall.domain.ledger.accounts import lock_account, zone_of
from pointsmall.domain.ledger.entries import LedgerRequest, fingerprint
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.cards import active_catalogue
from pointsmall.domain.mall.eligibility import eligibility_problem
from pointsmall.domain.mall.flash_gate import FlashGate, Pass, Verdict
from pointsmall.domain.mall.sale_windows import quota_is_zone_free, quota_period, sale_problem
from pointsmall.domain.notifications import inbox
from pointsmall.domain.notifications.notices import RedemptionNotice
from pointsmall.domain.replay import same_request
from pointsmall.domain.risk import checks as risk_checks
from pointsmall.models import (
    Account,
    CouponCode,
    Item,
    ItemKind,
    ItemStatus,
    QuotaUsage,
    Redemption,
    RedemptionChange,
    RedemptionStatus,
    TaskEvent,
)
from pointsmall.models.mall import AddressData, GrantedRightData
from pointsmall.models.risk import BanScope

UTC_ZONE = ZoneInfo("UTC")
MAX_QUANTITY = 100
REUSED_KEY = "this idempotency key was already used for another redemption"
PAYMENT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class ShippingAddress:
    """Where a physical item goes. Kept for fulfilment only, never logged."""

    recipient: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None

    def checked(self) -> AddressData:
        field = "shippingAddress"
        address = AddressData(
            recipient=validation.required_text(self.recipient, field, 100),
            line1=validation.required_text(self.line1, field, 200),
            city=validation.required_text(self.city, field, 100),
            postal_code=validation.required_text(self.postal_code, field, 20),
            country=(self.country or "").strip().upper(),
        )
        if line2 := validation.text(self.line2, field, 200):
            address["line2"] = line2
        if region := validation.text(self.region, field, 100):
            address["region"] = region
        if not all(char.isalnum() or char in " -" for char in address["postal_code"]):
            raise InvalidValue("postalCode has letters, digits, spaces and '-'", field=field)
        if len(address["country"]) != 2 or not address["country"].isalpha():
            raise InvalidValue("country is a two-letter ISO code", field=field)
        return address


@dataclass(frozen=True)
class RedeemRequest:
    user_id: str
    item_id: int
    quantity: int
    idempotency_key: str
    actor: Actor
    shipping_address: ShippingAddress | None = None


def checked_quantity(quantity: int) -> int:
    return validation.whole_number(quantity, "quantity", 1, MAX_QUANTITY)


async def visible_item(item_id: int) -> Item:
    """An item users may see: active or archived (their redemptions refer to it)."""
    item = await Item.get_or_none(id=item_id)
    if item is None or item.status == ItemStatus.DRAFT:
        raise NotFound("no such item", field="itemId")
    return item


class _Replayed(Exception):
    def __init__(self, redemption: Redemption) -> None:
        self.redemption = redemption


async def _earlier(account_id: int, key: str, request_fingerprint: str) -> Redemption | None:
    return same_request(
        await Redemption.get_or_none(account_id=account_id, idempotency_key=key),
        request_fingerprint,
        REUSED_KEY,
        field="idempotencyKey",
    )


AccountOpener = Callable[[], Awaitable[Account]]


async def redeem(
    request: RedeemRequest,
    gate: FlashGate | None,
    *,
    open_account: AccountOpener,
    rules: LedgerRules,
) -> Redemption:
    """Redeem an item. Retries with the same key return the first redemption.

    For a gated item the Redis gate answers first, from the catalogue snapshot and the
    user id alone: once sold out, an attempt costs one script call and, to tell a retry of
    an earlier success from a new attempt, one indexed read. Everything else is decided
    again inside the transaction, on fresh rows. Without Redis the database decides alone;
    what the gate does after the commit never fails a redemption that committed.
    """
    quantity = checked_quantity(request.quantity)
    key = validation.idempotency_key(request.idempotency_key)
    address = request.shipping_address.checked() if request.shipping_address else None
    request_fingerprint = fingerprint(
        "redeem", item=request.item_id, quantity=quantity, address=address
    )
    catalogued = await _catalogued(request.item_id)
    if catalogued is not None and catalogued.audience_id is not None:
        # Kept for an audience: an outsider is told so, before the gate takes a unit.
        problem = await eligibility_problem(await open_account(), catalogued, clock.now(), rules)
        if problem is not None:
            raise problem
    gated = None
    if gate is not None:
        verdict = await _through_gate(request, gate, quantity, key, request_fingerprint)
        if isinstance(verdict, Redemption):
            return verdict
        gated = verdict
    try:
        account = await open_account()
        redemption, created = await _redeem_checked(
            account, rules, request, quantity, key, address, request_fingerprint
        )
    except (OutOfStock, QuotaExceeded) as refusal:
        if gate is not None and gated is not None:
            await gate.give_back(gated, refused_by=refusal)
        raise
    except BaseException:
        if gate is not None and gated is not None:
            await gate.give_back(gated, refused_by=None)
        raise
    if gate is not None and gated is not None:
        # A replay took nothing in the database: what the gate took goes back.
        if created:
            await gate.settle(gated)
        else:
            await gate.give_back(gated, refused_by=None)
    return redemption


async def _through_gate(
    request: RedeemRequest, gate: FlashGate, quantity: int, key: str, request_fingerprint: str
) -> Pass | Redemption | None:
    """The gate's verdict for a gated item on sale; an earlier redemption on a refused retry."""
    item = await _catalogued(request.item_id)
    now = clock.now()
    if item is None or item.stock_remaining is None or sale_problem(item, now) is not None:
        return None  # not gated: the database decides (and explains) alone
    period = quota_period(item, now, UTC_ZONE) if quota_is_zone_free(item) else None
    taken = await gate.take(item, request.user_id, key, quantity, period)
    if taken is None:
        return None  # Redis does not answer: the database decides alone
    if taken.verdict in (Verdict.OUT_OF_STOCK, Verdict.QUOTA_EXCEEDED):
        earlier = same_request(
            await _redemption_by_key(request.user_id, key),
            request_fingerprint,
            REUSED_KEY,
            field="idempotencyKey",
        )
        if earlier is not None:
            return earlier
        if taken.verdict == Verdict.OUT_OF_STOCK:
            raise OutOfStock("sold out", field="itemId")
        raise QuotaExceeded("you have redeemed all you may of this item", field="quantity")
    return taken


async def _catalogued(item_id: int) -> Item | None:
    """The item as the active catalogue's snapshot has it (None: not active)."""
    return next((item for item in await active_catalogue() if item.id == item_id), None)


def address_key(address: AddressData) -> str:
    """An address as the risk rules compare it: the same whatever the case and spacing."""
    parts = [address.get(key) or "" for key in ("line1", "line2", "city", "postal_code", "country")]
    return "|".join(" ".join(str(part).lower().split()) for part in parts)


async def _redemption_by_key(user_id: str, key: str) -> Redemption | None:
    """The user's redemption made with this key, if any. Every refusal of a sold-out item
    reads it (to tell a retry of an earlier success), so it is one plain statement rather
    than an ORM query (bench/ratios.py's profiles)."""
    rows = await sql.fetch_models(
        Redemption,
        'SELECT r.* FROM "mall_redemption" r JOIN "account" a ON a."id" = r."account_id" '
        'WHERE a."user_id" = $1 AND r."idempotency_key" = $2 LIMIT 1',
        user_id,
        key,
    )
    return rows[0] if rows else None


async def _redeem_checked(
    account: Account,
    rules: LedgerRules,
    request: RedeemRequest,
    quantity: int,
    key: str,
    address: AddressData | None,
    request_fingerprint: str,
) -> tuple[Redemption, bool]:
    """The redemption, and whether this call made it (False: an earlier one replayed)."""
    earlier = await _earlier(account.id, key, request_fingerprint)
    if earlier is not None:
        return earlier, False
    now = clock.now()
    await risk_checks.refuse_if_banned(account.id, BanScope.REDEEM, now)
    await risk_checks.refuse_if_bursting(account.id, now)
    try:
        return await _redeem_allowed(
            account, rules, request, quantity, key, address, request_fingerprint
        )
    except (OutOfStock, QuotaExceeded, NotOnSale):
        raise  # a crowd's refusals in a sale are no one's fault
    except DomainError:
        async with events.atomic():
            await risk_checks.failed_redemption(account.id, now)
        raise


async def _redeem_allowed(
    account: Account,
    rules: LedgerRules,
    request: RedeemRequest,
    quantity: int,
    key: str,
    address: AddressData | None,
    request_fingerprint: str,
) -> tuple[Redemption, bool]:
    item = await visible_item(request.item_id)
    async with events.atomic():  # what the risk rules watch: where it ships, who buys dear
        if address is not None:
            shipped_to = risk_checks.keyed_hash(address_key(address), rules.signal_key)
            await risk_checks.before_shipping(account.id, shipped_to or "", clock.now())
        if item.high_value:
            await risk_checks.before_high_value(account, clock.now())
    if item.kind == ItemKind.PHYSICAL and address is None:
        raise InvalidValue("a physical item needs a shippingAddress", field="shippingAddress")
    if (problem := sale_problem(item, clock.now(), zone_of(account, rules.zone))) is not None:
        raise problem
    try:
        made = await _redeem_in_transaction(
            account.id, rules, request, item, quantity, key, address, request_fingerprint
        )
    except _Replayed as replay:
        return replay.redemption, False
    return made, True


async def _redeem_in_transaction(
    account_id: int,
    rules: LedgerRules,
    request: RedeemRequest,
    item: Item,
    quantity: int,
    key: str,
    address: AddressData | None,
    request_fingerprint: str,
) -> Redemption:
    async with events.atomic():
        account = await lock_account(account_id)
        earlier = await _earlier(account.id, key, request_fingerprint)
        if earlier is not None:
            raise _Replayed(earlier)
        if account.frozen:
            raise AccountFrozen("this account is frozen: its points cannot be spent")
        now = clock.now()
        await risk_checks.own_action(account.id, "REDEEM", request.actor, now)
        item = await Item.get(id=item.id)  # fresh, inside the transaction
        if (not_eligible := await eligibility_problem(account, item, now, rules)) is not None:
            raise not_eligible
        zone = zone_of(account, rules.zone)
        if (problem := sale_problem(item, now, zone)) is not None:
            raise problem
        status = (
            RedemptionStatus.PENDING_REVIEW
            if item.high_value
            else RedemptionStatus.AWAITING_PAYMENT
            if item.price_cash_amount
            else RedemptionStatus.CONFIRMED
        )
        period = quota_period(item, now, zone) if item.per_user_quota else None
        redemption = await Redemption.create(
            account_id=account.id,
            item_id=item.id,
            quantity=quantity,
            points=effects.discounted(
                item.price_points, await effects.discount_percent(account, item, now, rules)
            )
            * quantity,
            cash_amount=item.price_cash_amount * quantity if item.price_cash_amount else None,
            cash_currency=item.price_cash_currency,
            status=status,
            idempotency_key=key,
            request_fingerprint=request_fingerprint,
            quota_period=period,
            shipping_address=address,
            payment_due_at=now + PAYMENT_WINDOW
            if status == RedemptionStatus.AWAITING_PAYMENT
            else None,
            created_at=now,
            updated_at=now,
        )
        if period is not None:
            await _use_quota(account.id, item, period, quantity)
        points_request = LedgerRequest(
            actor=request.actor,
            idempotency_key=f"redemption:{redemption.id}",
            reason=f"redeemed {quantity} x {item.title}"[:500],
            reference=f"redemption:{redemption.id}",
        )
        if status == RedemptionStatus.CONFIRMED:
            entry = await entries.spend(account.id, redemption.points, points_request)
            redemption.spend_entry_id = entry.id
        else:
            held = await holds.hold(account.id, redemption.points, points_request)
            redemption.hold_id = held.id
        await _take_stock(item, quantity)  # last: the hot row is locked for the shortest time
        await Redemption.filter(id=redemption.id).update(
            spend_entry_id=redemption.spend_entry_id, hold_id=redemption.hold_id
        )
        if status == RedemptionStatus.CONFIRMED:
            await deliver(redemption, item, now)
        await record_change(redemption, None, request.actor, "redeemed")
        await count_when_settled(redemption, item, rules)
        if status == RedemptionStatus.PENDING_REVIEW:
            events.after_commit(events.ReviewQueued("redemption", redemption.id))
        return redemption


async def _use_quota(account_id: int, item: Item, period: str, quantity: int) -> None:
    assert item.per_user_quota is not None
    with contextlib.suppress(IntegrityError):
        async with events.atomic():  # a savepoint: losing the race to create it is fine
            await QuotaUsage.create(account_id=account_id, item_id=item.id, period=period, used=0)
    changed = await QuotaUsage.filter(
        account_id=account_id,
        item_id=item.id,
        period=period,
        used__lte=item.per_user_quota - quantity,
    ).update(used=F("used") + quantity)
    if changed != 1:
        raise QuotaExceeded("you have redeemed all you may of this item", field="quantity")


async def _take_stock(item: Item, quantity: int) -> None:
    if item.stock_remaining is None:
        return
    changed = await Item.filter(id=item.id, stock_remaining__gte=quantity).update(
        stock_remaining=F("stock_remaining") - quantity
    )
    if changed != 1:
        raise OutOfStock("sold out", field="itemId")
    events.after_commit(events.StockTaken(item.id))


async def deliver(redemption: Redemption, item: Item, now: datetime) -> None:
    """What a confirmed redemption hands over at once: coupon codes, or the virtual right."""
    if item.kind == ItemKind.COUPON:
        codes = await (
            CouponCode.filter(item_id=item.id, redemption_id=None, issued_at=None)
            .order_by("id")
            .limit(redemption.quantity)
            .select_for_update(skip_locked=True)
        )
        issued = 0
        for code in codes:
            issued += await CouponCode.filter(
                id=code.id, redemption_id=None, issued_at=None
            ).update(redemption_id=redemption.id, issued_at=now)
        if issued != redemption.quantity:
            raise OutOfStock("the coupon pool is exhausted", field="itemId")
    elif item.kind == ItemKind.VIRTUAL and item.virtual_right:
        days = item.virtual_right["days"] * redemption.quantity
        redemption.virtual_right = GrantedRightData(
            name=item.virtual_right["name"],
            days=days,
            granted_at=now.isoformat(),
            valid_until=(now + timedelta(days=days)).isoformat(),
        )
        await Redemption.filter(id=redemption.id).update(virtual_right=redemption.virtual_right)


async def count_when_settled(redemption: Redemption, item: Item, rules: LedgerRules) -> None:
    """Count a redemption towards REDEEM tasks once the user can no longer cancel it
    (confirmed, for what is handed over at once; shipped or fulfilled, for goods), so a
    redeem-then-cancel loop earns no task reward."""
    settled = (
        redemption.status in (RedemptionStatus.SHIPPED, RedemptionStatus.FULFILLED)
        if item.kind == ItemKind.PHYSICAL
        else redemption.status == RedemptionStatus.CONFIRMED
    )
    if settled:
        await task_progress.record_progress(
            redemption.account_id,
            TaskEvent.REDEEM,
            clock.now(),  # counted when settled, in the period it settled in
            rules,
            source=redemption_source(redemption),
        )


def redemption_source(redemption: Redemption) -> str:
    """What a redemption counted towards REDEEM tasks is credited to."""
    return f"redemption:{redemption.id}"


async def record_change(
    redemption: Redemption,
    previous: RedemptionStatus | None,
    actor: Actor,
    reason: str | None,
) -> None:
    """Log the status change and tell the user once it commits."""
    await RedemptionChange.create(
        redemption_id=redemption.id,
        from_status=previous,
        to_status=redemption.status,
        actor=actor.user_id,
        actor_role=actor.role,
        reason=reason,
        created_at=clock.now(),
    )
    await inbox.notify(
        redemption.account_id, RedemptionNotice(redemption.id, redemption.status, reason)
    )


async def redemptions_page(
    *,
    account_id: int | None,
    status: RedemptionStatus | None,
    before_id: int | None,
    limit: int,
) -> list[Redemption]:
    """Newest first: one user's (`account_id`), or everyone's for ops, optionally by status."""
    query = Redemption.all()
    if account_id is not None:
        query = query.filter(account_id=account_id)
    if status is not None:
        query = query.filter(status=status)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)
