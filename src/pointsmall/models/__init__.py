"""Tortoise models, one module per domain. The app label is `pointsmall`."""

from pointsmall.models.accounts import Account
from pointsmall.models.ledger import (
    Allocation,
    Counterparty,
    Entry,
    EntryKind,
    Hold,
    HoldStatus,
    Lot,
)
from pointsmall.models.mall import (
    CouponCode,
    Item,
    ItemKind,
    ItemStatus,
    QuotaUsage,
    QuotaWindow,
    Redemption,
    RedemptionChange,
    RedemptionStatus,
    Restock,
    SaleRecurrence,
)

__all__ = [
    "Account",
    "Allocation",
    "Counterparty",
    "CouponCode",
    "Entry",
    "EntryKind",
    "Hold",
    "HoldStatus",
    "Item",
    "ItemKind",
    "ItemStatus",
    "Lot",
    "QuotaUsage",
    "QuotaWindow",
    "Redemption",
    "RedemptionChange",
    "RedemptionStatus",
    "Restock",
    "SaleRecurrence",
]
