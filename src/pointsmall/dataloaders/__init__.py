"""Per-request batch loaders: one instance of each per request, created in the context."""

from __future__ import annotations

from dataclasses import dataclass, field

from pointsmall.dataloaders.accounts import PointsByAccountLoader
from pointsmall.dataloaders.mall import (
    CouponCodesByRedemptionLoader,
    ItemByIdLoader,
    QuotaUsedLoader,
)


@dataclass
class Loaders:
    points_by_account: PointsByAccountLoader = field(default_factory=PointsByAccountLoader)
    item_by_id: ItemByIdLoader = field(default_factory=ItemByIdLoader)
    coupon_codes: CouponCodesByRedemptionLoader = field(
        default_factory=CouponCodesByRedemptionLoader
    )
    quota_used: QuotaUsedLoader = field(default_factory=QuotaUsedLoader)
