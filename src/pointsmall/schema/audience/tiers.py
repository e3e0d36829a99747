"""Member tiers and RFM scores as clients see them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from pointsmall.domain.audience.tiers import Standing
from pointsmall.schema.audience.segments import RfmSegment


@strawberry.type(description="The tier above, and how far it is.")
class NextTier:
    name: str
    points_to_go: int = strawberry.field(description="Points still to earn to reach it.")


@strawberry.type(description="A progress bar towards the next tier.")
class TierProgress:
    current: int = strawberry.field(description="Points earned in the last 12 months.")
    target: int = strawberry.field(
        description="The next tier's threshold (or this one's, at the top)."
    )
    percent: int


@strawberry.type(description="The user's member tier: by points earned in a rolling 12 months.")
class MemberTier:
    name: str
    level: int = strawberry.field(description="0 for the first tier, then 1, 2...")
    earned_this_year: int = strawberry.field(
        description="Points earned in the last 12 months, net of refunds."
    )
    next: NextTier | None = strawberry.field(description="Null at the top tier.")
    progress: TierProgress
    benefits: list[str]
    review_at: datetime | None = strawberry.field(
        description="The yearly review: the tier is kept at least until then (null on the "
        "first tier). It may drop at the review if the last 12 months earned less."
    )

    @classmethod
    def of(cls, standing: Standing) -> MemberTier:
        return cls(
            name=standing.tier.name,
            level=standing.tier.level,
            earned_this_year=standing.earned,
            next=NextTier(name=standing.next.name, points_to_go=standing.points_to_go)
            if standing.next
            else None,
            progress=TierProgress(
                current=standing.earned, target=standing.target, percent=standing.percent
            ),
            benefits=standing.tier.benefits(),
            review_at=standing.review_at,
        )


@strawberry.type(description="Recency, frequency and monetary scores, 1 (least) to 5 (most).")
class Rfm:
    recency: int
    frequency: int
    monetary: int
    segment: RfmSegment
