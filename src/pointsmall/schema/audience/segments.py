"""Lifecycle segments as clients and ops see them."""

from __future__ import annotations

import strawberry

from pointsmall.models import RfmSegment, Segment

__all__ = [
    "Move",
    "RfmSegment",
    "RfmSegmentSize",
    "Segment",
    "SegmentFigures",
    "SegmentMove",
    "SegmentSize",
    "TierSize",
]

strawberry.enum(
    Segment,
    description="NEW: registered lately, no paid order yet. ACTIVE: several paid orders lately. "
    "REGULAR: a paid order within the dormant threshold. DORMANT: none for that long. "
    "CHURNED: none for a year (thresholds are the programme's settings).",
)


strawberry.enum(
    RfmSegment,
    description="From recency, frequency and monetary scores over the last 365 days: "
    "CHAMPIONS bought lately and often, LOYAL often, POTENTIAL lately but little, "
    "NEW_CUSTOMERS lately and once, AT_RISK often but not lately, HIBERNATING little and "
    "not lately, LOST little and long ago.",
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


@strawberry.type(description="How many users are in an RFM segment now.")
class RfmSegmentSize:
    segment: RfmSegment | None = strawberry.field(
        description="Null: users with no paid order in the last 365 days."
    )
    users: int


@strawberry.type(description="How many users are in a member tier now.")
class TierSize:
    tier: str
    users: int


@strawberry.type(description="How many users moved from one RFM segment or tier to another.")
class Move:
    previous: str = strawberry.field(description="NONE: the user had no RFM segment before.")
    segment: str
    users: int


@strawberry.type(description="Who the users are: lifecycle and RFM segments, tiers (admin).")
class SegmentFigures:
    sizes: list[SegmentSize]
    moves: list[SegmentMove] = strawberry.field(
        description="Moves between segments in the period asked (by default the last day)."
    )
    rfm_sizes: list[RfmSegmentSize]
    rfm_moves: list[Move] = strawberry.field(description="Moves between RFM segments.")
    tier_sizes: list[TierSize]
    tier_moves: list[Move] = strawberry.field(description="Moves between tiers.")
