"""Inputs and payloads of the mall's mutations: catalogue (admin) and redemptions."""

from __future__ import annotations

from datetime import datetime

import strawberry

from pointsmall.models import ItemKind, ItemStatus, QuotaWindow, RedemptionStatus, SaleRecurrence
from pointsmall.schema.errors import UserError
from pointsmall.schema.mall import Item
from pointsmall.schema.redemptions import Redemption


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


@strawberry.input
class RedemptionQuoteInput:
    item_id: strawberry.ID
    quantity: int = 1


@strawberry.input(description="Where a physical item goes (kept for delivery only).")
class ShippingAddressInput:
    recipient: str
    line1: str
    city: str
    postal_code: str
    country: str = strawberry.field(description="ISO 3166 two-letter code.")
    line2: str | None = None
    region: str | None = None


@strawberry.input
class RedeemInput:
    item_id: strawberry.ID
    idempotency_key: str
    quantity: int = 1
    shipping_address: ShippingAddressInput | None = None


@strawberry.input
class ReviewRedemptionInput:
    redemption_id: strawberry.ID
    approve: bool
    reason: str | None = strawberry.field(default=None, description="Required to reject.")


@strawberry.input
class ConfirmCashPaymentInput:
    redemption_id: strawberry.ID
    payment_reference: str


@strawberry.input
class FulfillRedemptionInput:
    redemption_id: strawberry.ID
    status: RedemptionStatus = strawberry.field(description="SHIPPED or FULFILLED.")
    carrier: str | None = None
    tracking_number: str | None = None
    note: str | None = None


@strawberry.input
class CancelRedemptionInput:
    redemption_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Required of admins.")


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


@strawberry.type
class RedeemPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReviewRedemptionPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfirmCashPaymentPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FulfillRedemptionPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CancelRedemptionPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
