"""segmentFigures (admin)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pointsmall import access, clock
from pointsmall.auth import Role
from pointsmall.domain import validation
from pointsmall.domain.audience.lifecycle import segment_moves, segment_sizes
from pointsmall.domain.errors import InvalidValue
from pointsmall.schema.audience.segments import SegmentFigures, SegmentMove, SegmentSize
from pointsmall.schema.context import Info


async def segment_figures(
    info: Info, since: datetime | None = None, until: datetime | None = None
) -> SegmentFigures:
    """Users per segment now, and who moved between segments from `since` (default: a day
    ago) to `until` (default: now)."""
    access.require(info, Role.ADMIN)
    end = validation.moment(until, "until") or clock.now()
    start = validation.moment(since, "since") or end - timedelta(days=1)
    if start >= end:
        raise InvalidValue("since must be before until", field="since")
    sizes = await segment_sizes()
    moves = await segment_moves(start, end)
    return SegmentFigures(
        sizes=[SegmentSize(segment=segment, users=users) for segment, users in sizes.items()],
        moves=[
            SegmentMove(previous=move.previous, segment=move.segment, users=move.users)
            for move in moves
        ],
    )
