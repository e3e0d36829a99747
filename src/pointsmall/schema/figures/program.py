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


@strawberry.type(description="What one category sold and earned in a period.")
class CategoryFigures:
    category: str
    sales: int = strawberry.field(description="Order value, minor units, net of refunds.")
    points: int = strawberry.field(description="Points its order lines earned, net of refunds.")


@strawberry.type(description="The points one campaign issued in a period (bonuses, prizes).")
class CampaignIssued:
    campaign_id: strawberry.ID
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
    average_order_value_of_point_users: float | None = strawberry.field(
        description="Of orders by users who had redeemed points before (minor units)."
    )
    average_order_value_of_others: float | None = strawberry.field(
        description="Of orders by users who had never redeemed (minor units)."
    )
    retention_of_earners: float | None = strawberry.field(
        description="MONTH only: of the users who earned points in the month, the share "
        "that paid an order in the month after (null on DAY and WEEK)."
    )
    retention_of_others: float | None = strawberry.field(
        description="MONTH only: the same of the users who earned nothing in the month."
    )
    by_category: list[CategoryFigures]
    by_campaign: list[CampaignIssued]
