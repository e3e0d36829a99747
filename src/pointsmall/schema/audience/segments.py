"""Lifecycle segments as clients and ops see them."""

from __future__ import annotations

import strawberry

from pointsmall.models import Segment

__all__ = ["Segment", "SegmentFigures", "SegmentMove", "SegmentSize"]

strawberry.enum(
    Segment,
    description="NEW: registered lately, no paid order yet. ACTIVE: several paid orders lately. "
    "REGULAR: a paid order within the dormant threshold. DORMANT: none for that long. "
    "CHURNED: none for a year (thresholds are the programme's settings).",
)


@strawberry.type(description="How many users are in a segment now.")
class SegmentSize:
    segment: Segment
    users: int


@strawberry.type(description="How many users moved from one segment to another.")
class SegmentMove:
    previous: Segment
    segment: Segment
    users: int


@strawberry.type(description="Who the users are, by lifecycle segment (admin).")
class SegmentFigures:
    sizes: list[SegmentSize]
    moves: list[SegmentMove] = strawberry.field(
        description="Moves between segments in the period asked (by default the last day)."
    )
