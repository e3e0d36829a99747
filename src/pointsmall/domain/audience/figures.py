"""What ops see of who the users are: how many are in each segment and tier now, and how
many moved between them in a period (from the recorded moves)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from pointsmall import sql
from pointsmall.domain.audience.tier_rules import TierRules
from pointsmall.models import Dimension, RfmSegment, Segment


@dataclass(frozen=True)
class Moves:
    previous: str
    segment: str
    users: int


async def moves(since: datetime, until: datetime, dimension: Dimension) -> list[Moves]:
    """How many users moved from each segment (or tier) to each other in the period."""
    rows = await sql.fetch(
        'SELECT "previous", "segment", COUNT(*) AS "users" FROM "audience_segment_change" '
        'WHERE "changed_at" >= $1 AND "changed_at" <= $2 AND "dimension" = $3 '
        'GROUP BY "previous", "segment" ORDER BY "previous", "segment"',
        since,
        until,
        dimension.value,
    )
    return [Moves(str(row["previous"]), str(row["segment"]), int(row["users"])) for row in rows]


async def _counts(column: str) -> Counter[object]:
    rows = await sql.fetch(
        f'SELECT "{column}" AS "key", COUNT(*) AS "users" FROM "account" GROUP BY "{column}"'
    )
    return Counter({row["key"]: int(row["users"]) for row in rows})


async def segment_sizes() -> dict[Segment, int]:
    """How many users are in each lifecycle segment now."""
    counts = await _counts("segment")
    return {segment: counts[segment.value] for segment in Segment}


async def rfm_sizes() -> dict[RfmSegment | None, int]:
    """How many users are in each RFM segment now (None: no paid order in a year)."""
    counts = await _counts("rfm_segment")
    sizes: dict[RfmSegment | None, int] = {segment: counts[segment.value] for segment in RfmSegment}
    sizes[None] = counts[None]
    return sizes


async def tier_sizes(rules: TierRules) -> dict[str, int]:
    """How many users are in each tier now."""
    counts = await _counts("tier_level")
    return {tier.name: counts[tier.level] for tier in rules.tiers}
