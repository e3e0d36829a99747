"""Items, cards and the home screen as clients see them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from pointsmall import clock
from pointsmall.domain.mall.cards import CardKind
from pointsmall.domain.mall.redemptions import sale_problem
from pointsmall.domain.mall.sale_windows import quota_period, sale_window
from pointsmall.models import Item as ItemModel
from pointsmall.models import ItemKind, ItemStatus, QuotaWindow, SaleRecurrence
from pointsmall.schema.context import Info

strawberry.enum(ItemKind, description="What redeeming the item gives.")
strawberry.enum(ItemStatus)
strawberry.enum(QuotaWindow, description="The period a per-user quota counts in.")
strawberry.enum(SaleRecurrence, description="How a sale window repeats.")
MallCardKind = CardKind
strawberry.enum(MallCardKind, name="MallCardKind")


@strawberry.type(description="Cash in minor units (cents), with an ISO currency code.")
class Cash:
    amount: int
    currency: str


@strawberry.type(description="What a VIRTUAL item grants, e.g. 30 days of membership.")
class VirtualRight:
    name: str
    days: int


@dataclass(frozen=True)
class ViewerFacts:
    """What the calling user's item fields depend on, loaded in batches before building."""

    balance: int
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
    created_at: datetime
    _model: strawberry.Private[ItemModel]
    _viewer: strawberry.Private[ViewerFacts | None]

    @classmethod
    def from_model(cls, item: ItemModel, viewer: ViewerFacts | None = None) -> Self:
        cash = (
            Cash(amount=item.price_cash_amount, currency=item.price_cash_currency)
            if item.price_cash_amount is not None and item.price_cash_currency
            else None
        )
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
            price_cash=cash,
            stock=item.stock_total,
            remaining_stock=item.stock_remaining,
            per_user_quota=item.per_user_quota,
            quota_window=item.quota_window,
            sale_recurrence=item.sale_recurrence,
            limited=item.limited,
            high_value=item.high_value,
            status=item.status,
            sort_weight=item.sort_weight,
            virtual_right=VirtualRight(name=str(right["name"]), days=int(str(right["days"])))
            if right
            else None,
            created_at=item.created_at,
            _model=item,
            _viewer=viewer,
        )

    @strawberry.field(description="Start of the current or next sale window; null: open.")
    def sale_starts_at(self) -> datetime | None:
        window = sale_window(self._model, clock.now())
        return window.starts_at if window else self._model.sale_starts_at

    @strawberry.field(description="End of the current or next sale window; null: open.")
    def sale_ends_at(self) -> datetime | None:
        window = sale_window(self._model, clock.now())
        return window.ends_at if window else self._model.sale_ends_at

    @strawberry.field(description="In the mall and inside a sale window now.")
    def on_sale(self) -> bool:
        return sale_problem(self._model, clock.now()) is None

    @strawberry.field(description="Physical items need a shipping address to be redeemed.")
    def requires_shipping_address(self) -> bool:
        return self._model.kind == ItemKind.PHYSICAL

    @strawberry.field(description="Whether the caller has the points for one (null: no user).")
    def affordable(self) -> bool | None:
        return None if self._viewer is None else self._viewer.balance >= self.price_points

    @strawberry.field(description="Points the caller still needs for one (null: no user).")
    def points_short(self) -> int | None:
        return None if self._viewer is None else max(0, self.price_points - self._viewer.balance)

    @strawberry.field(description="Units the caller may still redeem in this quota period.")
    def quota_left(self) -> int | None:
        if self._viewer is None or self.per_user_quota is None:
            return None
        return max(0, self.per_user_quota - self._viewer.quota_used)


async def viewer_facts(info: Info, item: ItemModel) -> ViewerFacts | None:
    """The caller's balance and quota use for an item, through the request's loaders."""
    viewer = info.context.viewer
    if viewer is None:
        return None
    summary = await info.context.loaders.points_by_account.load(viewer.id)
    used = 0
    if item.per_user_quota is not None:
        period = quota_period(item, clock.now(), info.context.viewer_zone)
        used = await info.context.loaders.quota_used.load((viewer.id, item.id, period))
    return ViewerFacts(balance=summary.balance, quota_used=used)


async def items_for(info: Info, models: list[ItemModel]) -> list[Item]:
    """Items with the caller's facts, all loaded in one batch per kind of fact."""
    facts = await asyncio.gather(*(viewer_facts(info, model) for model in models))
    return [Item.from_model(model, fact) for model, fact in zip(models, facts, strict=True)]


ItemConnection = relay.Connection[Item]


@strawberry.type(description="A card of the home screen.")
class MallCard:
    kind: MallCardKind
    title: str
    subtitle: str
    items: list[Item]


@strawberry.type(description="The personalised home screen of the mall.")
class Mall:
    cards: list[MallCard]
