"""The catalogue: ops create, change, archive and restock items, and fill coupon pools.

Every field is checked here, with an error naming it; nothing is written unless all of
an input is valid. Stock only moves by conditional updates and restocks are idempotent.
COUPON items take their stock from their code pool: each code added is one unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.audience.audiences import existing_audience
from pointsmall.domain.errors import IdempotencyConflict, InvalidState, InvalidValue, NotFound
from pointsmall.models import (
    CouponCode,
    Item,
    ItemKind,
    ItemStatus,
    QuotaWindow,
    Restock,
    SaleRecurrence,
)
from pointsmall.models.mall import VirtualRightData

MAX_STOCK = 1_000_000_000
MAX_QUOTA = 1_000
MAX_IMAGES = 10
MAX_URL_LENGTH = 500
MAX_CASH = 100_000_000  # minor units
MAX_CODES_PER_CALL = 10_000
CURRENCY = re.compile(r"^[A-Z]{3}$")
RECURRENCE_PERIOD = {
    SaleRecurrence.DAILY: timedelta(days=1),
    SaleRecurrence.WEEKLY: timedelta(weeks=1),
    SaleRecurrence.MONTHLY: timedelta(days=28),
}


@dataclass(frozen=True)
class VirtualRight:
    name: str
    days: int


@dataclass
class ItemFields:
    """What ops say about an item. On update, only the fields named in `changes` move."""

    kind: ItemKind
    title: str
    category: str
    price_points: int
    description: str = ""
    image_urls: list[str] | None = None
    tags: list[str] | None = None
    price_cash_amount: int | None = None
    price_cash_currency: str | None = None
    stock: int | None = None
    per_user_quota: int | None = None
    quota_window: QuotaWindow = QuotaWindow.LIFETIME
    sale_starts_at: datetime | None = None
    sale_ends_at: datetime | None = None
    sale_recurrence: SaleRecurrence = SaleRecurrence.NONE
    limited: bool = False
    high_value: bool = False
    status: ItemStatus = ItemStatus.DRAFT
    sort_weight: int = 0
    virtual_right: VirtualRight | None = None
    audience_id: int | None = None  # kept for an audience's members


def _checked(draft: ItemFields) -> dict[str, Any]:
    """The model values of a draft, every rule checked; raises on the first field at fault."""
    title = validation.text(draft.title, "title", 120, required=True)
    description = validation.text(draft.description, "description", 5_000) or ""
    category = draft.category.strip().lower()
    if not validation.SLUG.match(category):
        raise InvalidValue(
            "category is 1-64 lower-case letters, digits, '-' or '_'", field="category"
        )
    images = draft.image_urls or []
    if len(images) > MAX_IMAGES:
        raise InvalidValue(f"at most {MAX_IMAGES} images", field="imageUrls")
    for url in images:
        if not url.startswith(("https://", "http://")) or len(url) > MAX_URL_LENGTH or " " in url:
            raise InvalidValue(
                "imageUrls must be http(s) URLs of at most 500 characters", field="imageUrls"
            )
    validation.positive_points(draft.price_points, "pricePoints")
    cash = draft.price_cash_amount
    currency = draft.price_cash_currency
    if (cash is None) != (currency is None):
        raise InvalidValue("priceCash needs both amount and currency", field="priceCash")
    if cash is not None:
        validation.whole_number(cash, "priceCash", 1, MAX_CASH)
        if not CURRENCY.match(currency or ""):
            raise InvalidValue("currency is a three-letter ISO code such as USD", field="priceCash")
    if draft.stock is not None:
        validation.whole_number(draft.stock, "stock", 0, MAX_STOCK)
    if draft.kind == ItemKind.COUPON and draft.stock is not None:
        raise InvalidValue(
            "a coupon item's stock is its code pool: add codes instead", field="stock"
        )
    if draft.per_user_quota is not None:
        validation.whole_number(draft.per_user_quota, "perUserQuota", 1, MAX_QUOTA)
    starts = validation.moment(draft.sale_starts_at, "saleStartsAt")
    ends = validation.moment(draft.sale_ends_at, "saleEndsAt")
    if starts and ends and ends <= starts:
        raise InvalidValue("saleEndsAt must be after saleStartsAt", field="saleEndsAt")
    if draft.sale_recurrence != SaleRecurrence.NONE:
        if not (starts and ends):
            raise InvalidValue(
                "a recurring sale needs saleStartsAt and saleEndsAt", field="saleRecurrence"
            )
        if ends - starts > RECURRENCE_PERIOD[draft.sale_recurrence]:
            raise InvalidValue(
                "a recurring sale window must be shorter than its period", field="saleEndsAt"
            )
    if draft.quota_window != QuotaWindow.LIFETIME and draft.per_user_quota is None:
        raise InvalidValue("quotaWindow needs a perUserQuota", field="quotaWindow")
    if draft.status == ItemStatus.ARCHIVED:
        raise InvalidValue("archive an item with archiveItem", field="status")
    validation.whole_number(draft.sort_weight, "sortWeight", -1_000_000, 1_000_000)
    right = draft.virtual_right
    if draft.kind == ItemKind.VIRTUAL:
        if right is None:
            raise InvalidValue(
                "a virtual item needs virtualRight {name days}", field="virtualRight"
            )
        validation.text(right.name, "virtualRight", 100, required=True)
        validation.whole_number(right.days, "virtualRight", 1, 3_650)
    elif right is not None:
        raise InvalidValue("only VIRTUAL items grant a virtualRight", field="virtualRight")
    return {
        "kind": draft.kind,
        "title": title,
        "description": description,
        "image_urls": images,
        "category": category,
        "tags": validation.tags(draft.tags or []),
        "price_points": draft.price_points,
        "price_cash_amount": cash,
        "price_cash_currency": currency,
        "per_user_quota": draft.per_user_quota,
        "quota_window": draft.quota_window,
        "sale_starts_at": starts,
        "sale_ends_at": ends,
        "sale_recurrence": draft.sale_recurrence,
        "limited": draft.limited,
        "high_value": draft.high_value,
        "status": draft.status,
        "sort_weight": draft.sort_weight,
        "virtual_right": VirtualRightData(name=right.name.strip(), days=right.days)
        if right
        else None,
        "audience_id": draft.audience_id,
    }


async def create_item(draft: ItemFields) -> Item:
    values = _checked(draft)
    await existing_audience(draft.audience_id)
    stock = 0 if draft.kind == ItemKind.COUPON else draft.stock
    now = clock.now()
    async with events.atomic():
        item = await Item.create(
            **values, stock_total=stock, stock_remaining=stock, created_at=now, updated_at=now
        )
        events.after_commit(events.CatalogueChanged(item.id, created=True))
    return item


def fields_of(item: Item) -> ItemFields:
    right = item.virtual_right
    return ItemFields(
        kind=item.kind,
        title=item.title,
        category=item.category,
        price_points=item.price_points,
        description=item.description,
        image_urls=list(item.image_urls),
        tags=list(item.tags),
        price_cash_amount=item.price_cash_amount,
        price_cash_currency=item.price_cash_currency,
        per_user_quota=item.per_user_quota,
        quota_window=item.quota_window,
        sale_starts_at=item.sale_starts_at,
        sale_ends_at=item.sale_ends_at,
        sale_recurrence=item.sale_recurrence,
        limited=item.limited,
        high_value=item.high_value,
        status=item.status,
        sort_weight=item.sort_weight,
        virtual_right=VirtualRight(right["name"], right["days"]) if right else None,
        audience_id=item.audience_id,
    )


UPDATABLE = {field.name for field in fields(ItemFields)} - {"kind", "stock"}


async def update_item(item_id: int, changes: dict[str, Any]) -> Item:
    """Change some fields; the item as a whole must still be valid. Kind and stock stay."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidValue(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    async with events.atomic():
        item = await _item_for_update(item_id)
        if item.status == ItemStatus.ARCHIVED:
            raise InvalidState("an archived item cannot change")
        merged = fields_of(item)
        for name, value in changes.items():
            setattr(merged, name, value)
        values = _checked(merged)
        await existing_audience(merged.audience_id)
        values["updated_at"] = clock.now()
        await Item.filter(id=item_id).update(**values)
        await item.refresh_from_db()
        return item


async def archive_item(item_id: int) -> Item:
    """Take an item out of the mall for good; its redemptions carry on."""
    async with events.atomic():
        item = await _item_for_update(item_id)
        if item.status != ItemStatus.ARCHIVED:
            await Item.filter(id=item_id).update(status=ItemStatus.ARCHIVED, updated_at=clock.now())
            await item.refresh_from_db()
        return item


async def restock_item(item_id: int, quantity: int, idempotency_key: str, actor: Actor) -> Item:
    """Add units; a retry with the same key adds nothing more."""
    validation.whole_number(quantity, "quantity", 1, MAX_STOCK)
    key = validation.idempotency_key(idempotency_key)
    async with events.atomic():
        item = await _item_for_update(item_id)
        earlier = await Restock.get_or_none(item_id=item_id, idempotency_key=key)
        if earlier is not None:
            if earlier.quantity != quantity:
                raise IdempotencyConflict(
                    "this idempotency key was used for another restock", field="idempotencyKey"
                )
            return item
        if item.kind == ItemKind.COUPON:
            raise InvalidState("a coupon item is restocked by adding codes")
        if item.stock_remaining is None:
            raise InvalidState("this item has unlimited stock")
        if item.stock_total is not None and item.stock_total + quantity > MAX_STOCK:
            raise InvalidValue(f"stock would exceed {MAX_STOCK:,}", field="quantity")
        await Restock.create(
            item_id=item_id,
            quantity=quantity,
            idempotency_key=key,
            actor=actor.user_id,
            created_at=clock.now(),
        )
        await _add_stock(item_id, quantity)
        await item.refresh_from_db()
        return item


@dataclass(frozen=True)
class CodesAdded:
    item: Item
    added: int
    duplicates: int


async def add_coupon_codes(item_id: int, codes: list[str]) -> CodesAdded:
    """Add codes to a coupon item's pool; codes already in it are skipped, not doubled."""
    if not codes or len(codes) > MAX_CODES_PER_CALL:
        raise InvalidValue(f"give 1 to {MAX_CODES_PER_CALL:,} codes", field="codes")
    cleaned: list[str] = []
    for code in codes:
        value = code.strip()
        if not 0 < len(value) <= 128 or not value.isprintable() or " " in value:
            raise InvalidValue("codes are 1-128 printable characters without spaces", field="codes")
        if value not in cleaned:
            cleaned.append(value)
    async with events.atomic():
        item = await _item_for_update(item_id)
        if item.kind != ItemKind.COUPON:
            raise InvalidState("only COUPON items have a code pool")
        in_pool = await CouponCode.filter(item_id=item_id, code__in=cleaned).only("id", "code")
        existing = {code.code for code in in_pool}
        fresh = [code for code in cleaned if code not in existing]
        now = clock.now()
        try:
            await CouponCode.bulk_create(
                [CouponCode(item_id=item_id, code=code, created_at=now) for code in fresh]
            )
        except IntegrityError:  # a concurrent call added some of them first
            raise InvalidState("codes were added concurrently: try again") from None
        if fresh:
            await _add_stock(item_id, len(fresh))
        await item.refresh_from_db()
        return CodesAdded(item=item, added=len(fresh), duplicates=len(codes) - len(fresh))


async def _add_stock(item_id: int, quantity: int) -> None:
    events.after_commit(events.StockAdded(item_id, quantity))
    await Item.filter(id=item_id).update(
        stock_total=F("stock_total") + quantity,
        stock_remaining=F("stock_remaining") + quantity,
        updated_at=clock.now(),
    )


async def _item_for_update(item_id: int) -> Item:
    """The item, locked; whatever the caller changes, the mall hears of after the commit."""
    item = await Item.select_for_update(no_key=True).get_or_none(id=item_id)
    if item is None:
        raise NotFound("no such item", field="itemId")
    events.after_commit(events.CatalogueChanged(item_id))
    return item


async def items_page(
    *,
    statuses: list[ItemStatus],
    category: str | None,
    kind: ItemKind | None,
    after: tuple[int, int] | None,
    limit: int,
    audiences: set[int] | None = None,
) -> list[Item]:
    """Items by sort weight then newest first; `after` is the (weight, id) of the last seen.
    Items kept for an audience only if it is one of `audiences` (None: all of them)."""
    query = Item.filter(status__in=statuses)
    if audiences is not None:
        query = query.filter(Q(audience_id__isnull=True) | Q(audience_id__in=list(audiences)))
    if category is not None:
        category = category.strip().lower()
        if not validation.SLUG.match(category):
            return []  # no item has such a category (and it never reaches the database)
        query = query.filter(category=category)
    if kind is not None:
        query = query.filter(kind=kind)
    if after is not None:
        weight, item_id = after
        query = query.filter(Q(sort_weight__lt=weight) | Q(sort_weight=weight, id__lt=item_id))
    return await query.order_by("-sort_weight", "-id").limit(limit)
