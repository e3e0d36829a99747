"""segmentFigures (admin): lifecycle and RFM segments, tiers."""

from __future__ import annotations

from datetime import datetime, timedelta

from pointsmall import access, clock
from pointsmall.auth import Role
from pointsmall.domain import validation
from pointsmall.domain.audience import figures
from pointsmall.domain.errors import InvalidValue
from pointsmall.models import Dimension, Segment
from pointsmall.schema.audience.segments import (
    Move,
    RfmSegmentSize,
    SegmentFigures,
    SegmentMove,
    SegmentSize,
    TierSize,
)
from pointsmall.schema.context import Info


async def segment_figures(
    info: Info, since: datetime | None = None, until: datetime | None = None
) -> SegmentFigures:
    """Users per lifecycle segment, RFM segment and tier now, and who moved between them
    from `since` (default: a day ago) to `until` (default: now)."""
    access.require(info, Role.ADMIN)
    end = validation.moment(until, "until") or clock.now()
    start = validation.moment(since, "since") or end - timedelta(days=1)
    if start >= end:
        raise InvalidValue("since must be before until", field="since")
    sizes = await figures.segment_sizes()
    moves = await figures.moves(start, end, Dimension.LIFECYCLE)
    rfm_sizes = await figures.rfm_sizes()
    tier_sizes = await figures.tier_sizes(info.context.runtime.rules.tiers)

    async def moved(dimension: Dimension) -> list[Move]:
        found = await figures.moves(start, end, dimension)
        return [Move(previous=m.previous, segment=m.segment, users=m.users) for m in found]

    return SegmentFigures(
        sizes=[SegmentSize(segment=segment, users=users) for segment, users in sizes.items()],
        moves=[
            SegmentMove(previous=Segment(m.previous), segment=Segment(m.segment), users=m.users)
            for m in moves
        ],
        rfm_sizes=[RfmSegmentSize(segment=key, users=users) for key, users in rfm_sizes.items()],
        rfm_moves=await moved(Dimension.RFM),
        tier_sizes=[TierSize(tier=name, users=users) for name, users in tier_sizes.items()],
        tier_moves=await moved(Dimension.TIER),
    )
