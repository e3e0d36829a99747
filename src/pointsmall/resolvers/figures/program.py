"""programMetrics (admin): the programme's figures as time series, from the rollups."""

from __future__ import annotations

from datetime import date, timedelta

import strawberry
from strawberry.relay import GlobalID

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain import figures
from pointsmall.schema.context import Info
from pointsmall.schema.errors import BadUserInput
from pointsmall.schema.figures.program import (
    CampaignIssued,
    CategoryFigures,
    Interval,
    IssuedBySource,
    ProgramPeriod,
)

MAX_SPAN = timedelta(days=3 * 366)


async def program_metrics(
    info: Info, since: date, until: date, interval: Interval = Interval.DAY
) -> list[ProgramPeriod]:
    """Issued (by source), redeemed, expired, forfeited, the liability, breakage and
    consumption rates, earners and redeemers, order values and retention, by category and
    by campaign, per period from `since` to `until`."""
    access.require(info, Role.ADMIN)
    if until < since or until - since > MAX_SPAN:
        raise BadUserInput("since comes before until, at most three years apart")
    return [
        ProgramPeriod(
            starts_on=period.starts_on,
            issued=period.issued,
            issued_by_source=[
                IssuedBySource(source=source, points=points)
                for source, points in sorted(period.issued_by_source.items())
            ],
            redeemed=period.redeemed,
            expired=period.expired,
            forfeited=period.forfeited,
            liability=period.liability,
            breakage_rate=period.breakage_rate,
            consumption_rate=period.consumption_rate,
            earners=period.earners,
            redeemers=period.redeemers,
            redemption_conversion=period.redemption_conversion,
            average_order_value_of_point_users=period.average_order_value("points"),
            average_order_value_of_others=period.average_order_value("others"),
            retention_of_earners=period.retention("earners"),
            retention_of_others=period.retention("others"),
            by_category=[
                CategoryFigures(
                    category=category,
                    sales=sales,
                    points=period.category_points.get(category, 0),
                )
                for category, sales in sorted(period.category_sales.items())
            ],
            by_campaign=[
                CampaignIssued(
                    campaign_id=strawberry.ID(str(GlobalID("Campaign", campaign))), points=points
                )
                for campaign, points in sorted(period.by_campaign.items(), key=lambda c: int(c[0]))
            ],
        )
        for period in await figures.program_metrics(since, until, interval.value)
    ]
