"""programMetrics (admin): the programme's figures as time series, from the rollups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import strawberry
from strawberry.relay import GlobalID
from strawberry.types.nodes import SelectedField, Selection

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
    asked = selected_names(info.selected_fields)
    breakdowns = bool(asked & {"byCategory", "byCampaign"})
    series = await figures.program_metrics(since, until, interval.value, breakdowns=breakdowns)
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
        for period in series
    ]


def selected_names(fields: Sequence[Selection]) -> set[str]:
    """The names of every field selected under these, through fragments."""
    names: set[str] = set()
    for field in fields:
        for selection in field.selections:
            if isinstance(selection, SelectedField):
                names.add(selection.name)
            names |= selected_names([selection])
    return names
