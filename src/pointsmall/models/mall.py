"""The mall: items, their coupon codes, redemptions and per-user quota usage."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NotRequired, TypedDict

from tortoise import fields
from tortoise.models import Model

from pointsmall.sealing import SealedJSONField

if TYPE_CHECKING:
    from pointsmall.models.audience import Audience
    from pointsmall.models.ledger import Account, Entry, Hold


class VirtualRightData(TypedDict):
    """What a VIRTUAL item grants per unit: `{"name": "Gold membership", "days": 30}`."""

    name: str
    days: int


class GrantedRightData(TypedDict):
    """What a VIRTUAL redemption granted: the right, for how long, from and until when."""

    name: str
    days: int
    granted_at: str  # ISO-8601
    valid_until: str


class AddressData(TypedDict):
    recipient: str
    line1: str
    line2: NotRequired[str]
    city: str
    region: NotRequired[str]
    postal_code: str
    country: str


class TrackingData(TypedDict):
    carrier: str
    number: str


class ItemKind(enum.StrEnum):
    PHYSICAL = "PHYSICAL"  # goods, shipped
    VIRTUAL = "VIRTUAL"  # membership time, course access
    SERVICE = "SERVICE"  # free shipping, priority after-sales
    COUPON = "COUPON"  # partner coupons, one code from the pool per unit


class ItemStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class QuotaWindow(enum.StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    SALE = "SALE"  # per sale window (each occurrence of a recurring one)
    LIFETIME = "LIFETIME"


class SaleRecurrence(enum.StrEnum):
    NONE = "NONE"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class RedemptionStatus(enum.StrEnum):
    CONFIRMED = "CONFIRMED"
    PENDING_REVIEW = "PENDING_REVIEW"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    FULFILLED = "FULFILLED"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


class Item(Model):
    """Something the mall sells for points (and optionally cash).

    `stock_remaining` is None for unlimited stock; otherwise it only ever changes by a
    conditional update (`... WHERE stock_remaining >= n`), never by read-then-save.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(ItemKind, max_length=16)
    title = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    image_urls: fields.Field[list[str]] = fields.JSONField(default=list)
    category = fields.CharField(max_length=64)
    tags: fields.Field[list[str]] = fields.JSONField(default=list)
    audience: fields.ForeignKeyNullableRelation[Audience] = fields.ForeignKeyField(
        "pointsmall.Audience", related_name="items", null=True, on_delete=fields.RESTRICT
    )
    audience_id: int | None  # only its members see it and may redeem it
    price_points = fields.BigIntField()
    price_cash_amount = fields.BigIntField(null=True)  # minor units
    price_cash_currency = fields.CharField(max_length=3, null=True)
    stock_total = fields.BigIntField(null=True)
    stock_remaining = fields.BigIntField(null=True)
    per_user_quota = fields.IntField(null=True)
    quota_window = fields.CharEnumField(QuotaWindow, max_length=16, default=QuotaWindow.LIFETIME)
    sale_starts_at = fields.DatetimeField(null=True)
    sale_ends_at = fields.DatetimeField(null=True)
    sale_recurrence = fields.CharEnumField(
        SaleRecurrence, max_length=16, default=SaleRecurrence.NONE
    )
    limited = fields.BooleanField(default=False)
    high_value = fields.BooleanField(default=False)
    status = fields.CharEnumField(ItemStatus, max_length=16, default=ItemStatus.DRAFT)
    sort_weight = fields.IntField(default=0)
    virtual_right: fields.Field[VirtualRightData | None] = fields.JSONField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "mall_item"


class Restock(Model):
    """One restock of an item. Its key makes a retried restock count once."""

    id = fields.BigIntField(primary_key=True)
    item: fields.ForeignKeyRelation[Item] = fields.ForeignKeyField(
        "pointsmall.Item", related_name="restocks", on_delete=fields.RESTRICT
    )
    item_id: int
    quantity = fields.BigIntField()
    idempotency_key = fields.CharField(max_length=128)
    actor = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "mall_restock"
        unique_together = (("item", "idempotency_key"),)


class Redemption(Model):
    """A user's redemption of an item, through its whole life."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="redemptions", on_delete=fields.RESTRICT
    )
    account_id: int
    item: fields.ForeignKeyRelation[Item] = fields.ForeignKeyField(
        "pointsmall.Item", related_name="redemptions", on_delete=fields.RESTRICT
    )
    item_id: int
    quantity = fields.IntField()
    points = fields.BigIntField()
    cash_amount = fields.BigIntField(null=True)
    cash_currency = fields.CharField(max_length=3, null=True)
    status = fields.CharEnumField(RedemptionStatus, max_length=20)
    idempotency_key = fields.CharField(max_length=128)
    request_fingerprint = fields.CharField(max_length=64)
    quota_period = fields.CharField(max_length=64, null=True)  # which quota window it counts in
    hold: fields.ForeignKeyNullableRelation[Hold] = fields.ForeignKeyField(
        "pointsmall.Hold", related_name="redemptions", null=True, on_delete=fields.RESTRICT
    )
    hold_id: int | None
    spend_entry: fields.ForeignKeyNullableRelation[Entry] = fields.ForeignKeyField(
        "pointsmall.Entry", related_name="redemptions", null=True, on_delete=fields.RESTRICT
    )
    spend_entry_id: int | None
    virtual_right: fields.Field[GrantedRightData | None] = fields.JSONField(null=True)
    # Only what fulfilment needs; never logged.
    # sealed at rest (`pointsmall.sealing`)
    shipping_address: fields.Field[AddressData | None] = SealedJSONField(null=True)
    tracking: fields.Field[TrackingData | None] = fields.JSONField(null=True)
    payment_due_at = fields.DatetimeField(null=True)
    payment_reference = fields.CharField(max_length=128, null=True)
    status_reason = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "mall_redemption"
        unique_together = (("account", "idempotency_key"),)
        indexes = (("account_id", "id"), ("created_at", "item_id"), ("status", "payment_due_at"))


class RedemptionChange(Model):
    """Every status change of a redemption, with who made it and why (append-only)."""

    id = fields.BigIntField(primary_key=True)
    redemption: fields.ForeignKeyRelation[Redemption] = fields.ForeignKeyField(
        "pointsmall.Redemption", related_name="changes", on_delete=fields.RESTRICT
    )
    redemption_id: int
    from_status = fields.CharEnumField(RedemptionStatus, max_length=20, null=True)
    to_status = fields.CharEnumField(RedemptionStatus, max_length=20)
    actor = fields.CharField(max_length=64)
    actor_role = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "mall_redemption_change"
        indexes = (("redemption_id", "id"),)


class CouponCode(Model):
    """One partner code, issued to at most one redemption, ever."""

    id = fields.BigIntField(primary_key=True)
    item: fields.ForeignKeyRelation[Item] = fields.ForeignKeyField(
        "pointsmall.Item", related_name="coupon_codes", on_delete=fields.RESTRICT
    )
    item_id: int
    code = fields.CharField(max_length=128)
    redemption: fields.ForeignKeyNullableRelation[Redemption] = fields.ForeignKeyField(
        "pointsmall.Redemption", related_name="coupon_codes", null=True, on_delete=fields.RESTRICT
    )
    redemption_id: int | None
    issued_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "mall_coupon_code"
        unique_together = (("item", "code"),)


class QuotaUsage(Model):
    """Units of an item a user has redeemed in one quota period (e.g. `2026-11-23`)."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="quota_usage", on_delete=fields.RESTRICT
    )
    account_id: int
    item: fields.ForeignKeyRelation[Item] = fields.ForeignKeyField(
        "pointsmall.Item", related_name="quota_usage", on_delete=fields.RESTRICT
    )
    item_id: int
    period = fields.CharField(max_length=64)
    used = fields.IntField(default=0)

    class Meta:
        table = "mall_quota_usage"
        unique_together = (("account", "item", "period"),)
