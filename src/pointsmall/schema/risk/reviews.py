"""What waits for ops' review, as the live queue sends it (admin)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from pointsmall.schema.mall.redemptions import Redemption
from pointsmall.schema.risk.risk import RiskCase

Review = Annotated[
    RiskCase | Redemption,
    strawberry.union(
        "Review", description="A risk case that opened, or a redemption awaiting review."
    ),
]
