"""The programme's figures over time (admin)."""

from __future__ import annotations

import enum
from datetime import date

import strawberry


@strawberry.enum(description="The periods of a series (UTC days; weeks from Monday).")
class Interval(enum.StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@strawberry.type
class IssuedBySource:
    source: str = strawberry.field(
        description="order, check-in, share, task, gift, campaign, other."
    )
    points: int


@strawberry.type(description="One period of the programme's figures.")
class ProgramPeriod:
    starts_on: date
    issued: int = strawberry.field(description="Points issued, net of what refunds took back.")
    issued_by_source: list[IssuedBySource]
    redeemed: int
    expired: int
    forfeited: int
    liability: int = strawberry.field(description="Points outstanding at the period's end.")
    breakage_rate: float | None = strawberry.field(description="Expired / issued.")
    consumption_rate: float | None = strawberry.field(description="Redeemed / issued.")
    earners: int
    redeemers: int
    redemption_conversion: float | None = strawberry.field(
        description="Redeemers / earners in the period."
    )
