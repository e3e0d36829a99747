"""programMetrics (admin): the programme's figures as time series, from the rollups."""

from __future__ import annotations

from datetime import date, timedelta

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain import figures
from pointsmall.schema.context import Info
from pointsmall.schema.errors import BadUserInput
from pointsmall.schema.figures.program import Interval, IssuedBySource, ProgramPeriod

MAX_SPAN = timedelta(days=3 * 366)


async def program_metrics(
    info: Info, since: date, until: date, interval: Interval = Interval.DAY
) -> list[ProgramPeriod]:
    """Issued (by source), redeemed, expired, forfeited, the liability, breakage and
    consumption rates, earners and redeemers, per period from `since` to `until`."""
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
        )
        for period in await figures.program_metrics(since, until, interval.value)
    ]
