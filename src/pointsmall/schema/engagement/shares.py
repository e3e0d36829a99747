"""Share links as users see them; the share mutations' inputs and payloads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

import strawberry

from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.engagement.shares import share_url
from pointsmall.models import ShareTarget
from pointsmall.schema.errors import UserError

if TYPE_CHECKING:
    from pointsmall.models import Share as ShareModel

strawberry.enum(ShareTarget, description="What a share link points to.")


@strawberry.type(description="A share link.")
class Share:
    url: str
    token: str
    target: ShareTarget
    target_id: str
    reward_points: int = strawberry.field(description="What sharing it earned (0 once capped).")

    @classmethod
    def from_model(cls, share: ShareModel, rules: EngagementRules) -> Self:
        return cls(
            url=share_url(share, rules),
            token=share.token,
            target=share.target,
            target_id=share.target_id,
            reward_points=share.reward,
        )


@strawberry.input
class ShareInput:
    target: ShareTarget
    target_id: str | None = strawberry.field(
        default=None, description="An Item or Redemption ID; none for ACHIEVEMENT and INVITE."
    )
    idempotency_key: str


@strawberry.input
class OpenShareInput:
    token: str


@strawberry.type
class SharePayload:
    share: Share | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OpenSharePayload:
    rewarded: bool = strawberry.field(default=False, description="Whether the sharer earned.")
    errors: list[UserError] = strawberry.field(default_factory=list)
