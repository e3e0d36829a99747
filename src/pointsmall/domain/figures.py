"""The programme's figures: daily, weekly and monthly rollups of the ledger, and the series
ops read from them (`program_metrics`).

A rollup row is one measure of one period (UTC days; weeks from Monday; months), summed
by set-based SQL straight from the ledger's entries:

- `issued` (by source: order, check-in, share, task, gift, campaign, other): the net of
  entries whose counterparty is ISSUED (earnings, less what refunds took back);
- `redeemed`, `expired`, `forfeited`: the net points that went to those counterparties;
- `net`: every entry's amount, so the liability outstanding at a period's end is the sum
  of `net` up to it (what all accounts hold, pending and held points included);
- `earners`, `redeemers`: distinct accounts in the period.

The rollups job recomputes the current and the previous period of each kind every ten
minutes (`refresh`; its first run rolls up the whole ledger); `rebuild` recomputes a kind
over the whole ledger. `reconcile` checks
them against the ledger (the audit runs it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise.transactions import in_transaction

from pointsmall import sql
from pointsmall.models import ProgramRollup

PERIODS = ("DAY", "WEEK", "MONTH")
SOURCE = """CASE
  WHEN "reference" LIKE 'order:%' THEN 'order'
  WHEN "reference" LIKE 'check-in:%' THEN 'check-in'
  WHEN "reference" LIKE 'share%' THEN 'share'
  WHEN "reference" LIKE 'task%' THEN 'task'
  WHEN "reference" LIKE 'gift:%' THEN 'gift'
  WHEN "reference" LIKE 'campaign:%' THEN 'campaign'
  ELSE 'other' END"""
# (measure, source expression, value expression, filter)
MEASURES = (
    ("issued", SOURCE, 'SUM("amount")', "\"counterparty\" = 'ISSUED'"),
    ("redeemed", "''", 'SUM(-"amount")', "\"counterparty\" = 'REDEEMED'"),
    ("expired", "''", 'SUM(-"amount")', "\"counterparty\" = 'EXPIRED'"),
    ("forfeited", "''", 'SUM(-"amount")', "\"counterparty\" = 'FORFEITED'"),
    ("net", "''", 'SUM("amount")', "1 = 1"),
    ("earners", "''", 'COUNT(DISTINCT "account_id")', "\"kind\" = 'EARN'"),
    (
        "redeemers",
        "''",
        'COUNT(DISTINCT "account_id")',
        '"counterparty" = \'REDEEMED\' AND "amount" < 0',
    ),
)


def period_start(period: str, day: date) -> date:
    if period == "DAY":
        return day
    if period == "WEEK":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_start(period: str, start: date) -> date:
    if period == "DAY":
        return start + timedelta(days=1)
    if period == "WEEK":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _bucket(period: str) -> str:
    """SQL for the start of an entry's period (UTC)."""
    if sql.on_sqlite():  # a week: 6 days back, then forward to a Monday (its own)
        modifier = {"DAY": "", "WEEK": ", '-6 days', 'weekday 1'", "MONTH": ", 'start of month'"}
        return f'date("created_at"{modifier[period]})'
    unit = period.lower()
    return f"date_trunc('{unit}', \"created_at\" AT TIME ZONE 'UTC')::date"


async def _compute(period: str, since: datetime | None) -> None:
    """Insert the rows of every period starting at or after `since` (all, if None)."""
    bucket = _bucket(period)
    for measure, source, value, condition in MEASURES:
        where = f'{condition} AND "created_at" >= $2' if since else condition
        params: list[object] = [period] + ([since] if since else [])
        groups = f"{bucket}, {source}" if source != "''" else bucket
        await sql.execute(
            'INSERT INTO "program_rollup" ("period", "starts_on", "measure", "source", "value") '
            f"SELECT $1, {bucket}, '{measure}', {source}, {value} FROM \"ledger_entry\" "
            f"WHERE {where} GROUP BY {groups}",
            *params,
        )


async def rebuild(period: str) -> None:
    """A period kind's rollups over the whole ledger."""
    async with in_transaction():
        await sql.execute('DELETE FROM "program_rollup" WHERE "period" = $1', period)
        await _compute(period, None)


async def refresh(now: datetime) -> None:
    """The current and the previous period of each kind, computed again (the job); a kind
    never rolled up yet is rebuilt over the whole ledger."""
    for period in PERIODS:
        if not await ProgramRollup.exists(period=period):
            await rebuild(period)
            continue
        current = period_start(period, now.date())
        previous = period_start(period, current - timedelta(days=1))
        since = datetime(previous.year, previous.month, previous.day, tzinfo=now.tzinfo)
        async with in_transaction():
            await sql.execute(
                'DELETE FROM "program_rollup" WHERE "period" = $1 AND "starts_on" >= $2',
                period,
                previous,
            )
            await _compute(period, since)


@dataclass
class Period:
    starts_on: date
    issued: int = 0
    issued_by_source: dict[str, int] = field(default_factory=dict)
    redeemed: int = 0
    expired: int = 0
    forfeited: int = 0
    liability: int = 0  # outstanding at the period's end
    earners: int = 0
    redeemers: int = 0

    @property
    def breakage_rate(self) -> float | None:
        return self.expired / self.issued if self.issued else None

    @property
    def consumption_rate(self) -> float | None:
        return self.redeemed / self.issued if self.issued else None

    @property
    def redemption_conversion(self) -> float | None:
        """Of the period's earners, the share that redeemed (as counts of accounts)."""
        return self.redeemers / self.earners if self.earners else None


async def program_metrics(since: date, until: date, period: str) -> list[Period]:
    """The series from `since` to `until` (inclusive), from the rollups alone: two reads."""
    first = period_start(period, since)
    opening = await sql.fetch(
        'SELECT COALESCE(SUM("value"), 0) AS "value" FROM "program_rollup" WHERE '
        '"period" = $1 AND "measure" = \'net\' AND "starts_on" < $2',
        period,
        first,
    )
    rows = await sql.fetch(
        'SELECT "starts_on", "measure", "source", "value" FROM "program_rollup" WHERE '
        '"period" = $1 AND "starts_on" >= $2 AND "starts_on" <= $3 ORDER BY "starts_on"',
        period,
        first,
        until,
    )
    series: dict[date, Period] = {}
    start = first
    while start <= until:
        series[start] = Period(start)
        start = next_start(period, start)
    for row in rows:
        day = row["starts_on"]
        day = date.fromisoformat(day) if isinstance(day, str) else day
        entry = series.get(day)
        if entry is None:
            continue
        value = int(row["value"])
        match row["measure"]:
            case "issued":
                entry.issued += value
                entry.issued_by_source[row["source"]] = value
            case "net":
                entry.liability = value  # the period's own net, summed below
            case "redeemed" | "expired" | "forfeited" | "earners" | "redeemers" as measure:
                setattr(entry, measure, value)
    liability = int(opening[0]["value"])
    for entry in series.values():
        liability += entry.liability
        entry.liability = liability
    return list(series.values())


async def reconcile() -> list[str]:
    """Where the daily rollups disagree with the ledger (nothing: they agree)."""
    problems = []
    for measure, _, value, condition in MEASURES[:5]:
        ledger = await sql.fetch(
            f'SELECT COALESCE({value}, 0) AS "value" FROM "ledger_entry" WHERE {condition}'
        )
        rolled = await sql.fetch(
            'SELECT COALESCE(SUM("value"), 0) AS "value" FROM "program_rollup" WHERE '
            '"period" = \'DAY\' AND "measure" = $1',
            measure,
        )
        if int(ledger[0]["value"]) != int(rolled[0]["value"]):
            problems.append(
                f"rollup {measure}: {int(rolled[0]['value'])} against the ledger's "
                f"{int(ledger[0]['value'])}"
            )
    return problems
