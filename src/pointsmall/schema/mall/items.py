"""Items as clients see them, with what they mean for the caller; the catalogue's inputs and
payloads (admin)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Self

import strawberry
from strawberry import relay

from pointsmall import clock
from pointsmall.domain.campaigns.effects import best_discount, discounted
from pointsmall.domain.mall.sale_windows import SaleFacts, quota_period, sale_facts
from pointsmall.models import ItemKind, ItemStatus, QuotaWindow, SaleRecurrence
from pointsmall.schema.context import Info
from pointsmall.schema.errors import UserError
from pointsmall.schema.node import global_id

if TYPE_CHECKING:
    from pointsmall.models import Item as ItemModel

strawberry.enum(ItemKind, description="What redeeming the item gives.")
strawberry.enum(ItemStatus)
strawberry.enum(QuotaWindow, description="The period a per-user quota counts in.")
strawberry.enum(SaleRecurrence, description="How a sale window repeats.")


@strawberry.type(description="Cash in minor units (cents), with an ISO currency code.")
class Cash:
    amount: int
    currency: str

    @classmethod
    def of(cls, amount: int | None, currency: str | None) -> Self | None:
        return cls(amount=amount, currency=currency) if amount is not None and currency else None


@strawberry.type(description="What a VIRTUAL item grants, e.g. 30 days of membership.")
class VirtualRight:
    name: str
    days: int


@dataclass(frozen=True)
class ViewerFacts:
    """What the calling user's item fields depend on, loaded in batches before building."""

    balance: int
    discount_percent: int  # of a live campaign the user takes part in
    quota_used: int


@strawberry.type(description="Something the mall sells for points, and optionally cash.")
class Item(relay.Node):
    id: relay.NodeID[int]
    kind: ItemKind
    title: str
    description: str
    image_urls: list[str]
    category: str
    tags: list[str]
    price_points: int
    price_cash: Cash | None
    stock: int | None = strawberry.field(description="Units ever stocked; null: unlimited.")
    remaining_stock: int | None = strawberry.field(description="Units left; null: unlimited.")
    per_user_quota: int | None
    quota_window: QuotaWindow
    sale_recurrence: SaleRecurrence
    limited: bool
    high_value: bool = strawberry.field(description="Redemptions wait for a review.")
    status: ItemStatus
    sort_weight: int
    virtual_right: VirtualRight | None
    audience_id: strawberry.ID | None = strawberry.field(
        description="The audience the item is kept for (null: everyone)."
    )
    created_at: datetime
    sale_starts_at: datetime | None = strawberry.field(
        description="Start of the current or next sale window; null: open."
    )
    sale_ends_at: datetime | None = strawberry.field(
        description="End of the current or next sale window; null: open."
    )
    on_sale: bool = strawberry.field(description="In the mall and inside a sale window now.")
    requires_shipping_address: bool = strawberry.field(
        description="Physical items need a shipping address to be redeemed."
    )
    your_price_points: int | None = strawberry.field(
        description="What one costs the caller now: the price less the discount of a live "
        "campaign they take part in (null: no user)."
    )
    affordable: bool | None = strawberry.field(
        description="Whether the caller has the points for one (null: no user)."
    )
    points_short: int | None = strawberry.field(
        description="Points the caller still needs for one (null: no user)."
    )
    quota_left: int | None = strawberry.field(
        description="Units the caller may still redeem in this quota period."
    )

    @classmethod
    def from_model(
        cls, item: ItemModel, sale: SaleFacts, viewer: ViewerFacts | None = None
    ) -> Self:
        right = item.virtual_right
        return cls(
            id=item.id,
            kind=item.kind,
            title=item.title,
            description=item.description,
            image_urls=list(item.image_urls),
            category=item.category,
            tags=list(item.tags),
            price_points=item.price_points,
            price_cash=Cash.of(item.price_cash_amount, item.price_cash_currency),
            stock=item.stock_total,
            remaining_stock=item.stock_remaining,
            per_user_quota=item.per_user_quota,
            quota_window=item.quota_window,
            sale_recurrence=item.sale_recurrence,
            limited=item.limited,
            high_value=item.high_value,
            status=item.status,
            sort_weight=item.sort_weight,
            virtual_right=VirtualRight(name=right["name"], days=right["days"]) if right else None,
            audience_id=global_id("Audience", item.audience_id),
            created_at=item.created_at,
            sale_starts_at=sale.starts_at,
            sale_ends_at=sale.ends_at,
            on_sale=sale.on_sale,
            requires_shipping_address=item.kind == ItemKind.PHYSICAL,
            your_price_points=None
            if viewer is None
            else discounted(item.price_points, viewer.discount_percent),
            affordable=None
            if viewer is None
            else viewer.balance >= discounted(item.price_points, viewer.discount_percent),
            points_short=None
            if viewer is None
            else max(0, discounted(item.price_points, viewer.discount_percent) - viewer.balance),
            quota_left=None
            if viewer is None or item.per_user_quota is None
            else max(0, item.per_user_quota - viewer.quota_used),
        )


async def viewer_facts(info: Info, item: ItemModel) -> ViewerFacts | None:
    """The caller's balance and quota use for an item, through the operation's loaders."""
    viewer = info.context.viewer
    if viewer is None:
        return None
    loaders = info.context.loaders
    summary = await loaders.ledger.points.load(viewer.id)
    discount = best_discount(await loaders.campaigns.discounts.load(viewer.id), item)
    used = 0
    if item.per_user_quota is not None:
        period = quota_period(item, clock.now(), info.context.viewer_zone)
        used = await loaders.mall.quota_used.load((viewer.id, item.id, period))
    return ViewerFacts(balance=summary.balance, discount_percent=discount, quota_used=used)


async def items_for(info: Info, models: list[ItemModel]) -> list[Item]:
    """Items with the caller's facts, all loaded in one batch per kind of fact."""
    now = clock.now()
    facts = await asyncio.gather(*(viewer_facts(info, model) for model in models))
    return [
        Item.from_model(model, sale_facts(model, now), fact)
        for model, fact in zip(models, facts, strict=True)
    ]


async def item_for(info: Info, model: ItemModel) -> Item:
    [item] = await items_for(info, [model])
    return item


ItemConnection = relay.Connection[Item]


@strawberry.input
class CashInput:
    amount: int = strawberry.field(description="Minor units, e.g. cents.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")


@strawberry.input
class VirtualRightInput:
    name: str
    days: int


@strawberry.input(description="A new item. `stock` null means unlimited.")
class CreateItemInput:
    kind: ItemKind
    title: str
    category: str
    price_points: int
    description: str = ""
    image_urls: list[str] = strawberry.field(default_factory=list)
    tags: list[str] = strawberry.field(default_factory=list)
    price_cash: CashInput | None = None
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
    virtual_right: VirtualRightInput | None = None
    audience_id: strawberry.ID | None = strawberry.field(
        default=None, description="Keep the item for an audience's members."
    )


@strawberry.input(description="Change an item: fields left out stay as they are.")
class UpdateItemInput:
    item_id: strawberry.ID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    image_urls: list[str] | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    price_points: int | None = strawberry.UNSET
    price_cash: CashInput | None = strawberry.UNSET
    per_user_quota: int | None = strawberry.UNSET
    quota_window: QuotaWindow | None = strawberry.UNSET
    sale_starts_at: datetime | None = strawberry.UNSET
    sale_ends_at: datetime | None = strawberry.UNSET
    sale_recurrence: SaleRecurrence | None = strawberry.UNSET
    limited: bool | None = strawberry.UNSET
    high_value: bool | None = strawberry.UNSET
    status: ItemStatus | None = strawberry.UNSET
    sort_weight: int | None = strawberry.UNSET
    virtual_right: VirtualRightInput | None = strawberry.UNSET
    audience_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null: for everyone."
    )


@strawberry.input
class ArchiveItemInput:
    item_id: strawberry.ID


@strawberry.input
class RestockItemInput:
    item_id: strawberry.ID
    quantity: int
    idempotency_key: str


@strawberry.input
class AddCouponCodesInput:
    item_id: strawberry.ID
    codes: list[str]


@strawberry.type
class CreateItemPayload:
    item: Item | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateItemPayload:
    item: Item | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ArchiveItemPayload:
    item: Item | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RestockItemPayload:
    item: Item | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AddCouponCodesPayload:
    item: Item | None = None
    added: int = 0
    duplicates: int = strawberry.field(default=0, description="Codes already in the pool.")
    errors: list[UserError] = strawberry.field(default_factory=list)
