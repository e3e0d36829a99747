"""The programme's figures: daily, weekly and monthly rollups of the ledger, and the series
ops read from them (`program_metrics`).

A rollup row is one measure of one period (UTC days; weeks from Monday; months), summed
by set-based SQL straight from the ledger's entries:

- `issued` (by source: order, check-in, share, task, gift, campaign, other): the net of
  entries whose counterparty is ISSUED (earnings, less what refunds took back);
- `redeemed`, `expired`, `forfeited`: the net points that went to those counterparties;
- `net`: every entry's amount, so the liability outstanding at a period's end is the sum
  of `net` up to it (what all accounts hold, pending and held points included);
- `earners`, `redeemers`: distinct accounts in the period;
- `campaign` (by campaign id): the points campaigns issued (bonuses and prizes).

From the shop's orders (by the time they were paid, net of refunds; orders refunded in
full left out):

- `sales`, `orders` (source `points` or `others`): the value and the count of orders by
  point users (accounts that had redeemed points before the order) and by the others,
  whose quotient is the average order value of each;
- `category_sales`, `category_points` (by category): what each category sold and earned.

Per month only, next-month retention: `cohort` and `retained` (source `earners` or
`others`): the accounts open by the month's end that earned in it, and the others, and
of each how many paid an order in the month after (so a refresh reaches one month
further back for them).

The rollups job recomputes the current and the previous period of each kind every ten
minutes (`refresh`; its first run rolls up the whole ledger); `rebuild` recomputes a kind
over the whole ledger. `reconcile` checks
them against the ledger (the audit runs it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from pointsmall import clock, sql
from pointsmall.models import Account, ProgramRollup

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
    (
        "campaign",
        'SUBSTR("reference", 10)',
        'SUM("amount")',
        "\"counterparty\" = 'ISSUED' AND \"reference\" LIKE 'campaign:%'",
    ),
)
POINT_USER = """CASE WHEN EXISTS (SELECT 1 FROM "ledger_entry" AS "spent" WHERE
  "spent"."account_id" = "engagement_order"."account_id" AND "spent"."counterparty" = 'REDEEMED'
  AND "spent"."amount" < 0 AND "spent"."created_at" <= "engagement_order"."paid_at")
  THEN 'points' ELSE 'others' END"""
KEPT = '"refunded_amount" < "amount"'  # an order refunded in full is no sale
ORDER_MEASURES = (
    ("sales", POINT_USER, 'SUM("amount" - "refunded_amount")'),
    ("orders", POINT_USER, "COUNT(*)"),
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


def _bucket(period: str, column: str = '"created_at"') -> str:
    """SQL for the start of a row's period (UTC), by its time `column`."""
    if sql.on_sqlite():  # a week: 6 days back, then forward to a Monday (its own)
        modifier = {"DAY": "", "WEEK": ", '-6 days', 'weekday 1'", "MONTH": ", 'start of month'"}
        return f"date({column}{modifier[period]})"
    unit = period.lower()
    return f"date_trunc('{unit}', {column} AT TIME ZONE 'UTC')::date"


def _order_lines() -> tuple[str, str, str]:
    """SQL for orders joined to their lines, for a line's text field and for its number
    field (`{}`: the field's name)."""
    if sql.on_sqlite():
        field = 'json_extract("line"."value", \'$.{}\')'
        return '"engagement_order", json_each("engagement_order"."lines") AS "line"', field, field
    return (
        '"engagement_order", jsonb_array_elements("engagement_order"."lines") AS "line"',
        "(\"line\" ->> '{}')",
        "(\"line\" ->> '{}')::bigint",
    )


async def _insert(period: str, since: datetime | None, measure: str, select: str) -> None:
    """Insert one measure's rows: `select` gives (starts_on, source, value) and reads the
    period as $1 and `since` (when given) as $2."""
    await sql.execute(
        'INSERT INTO "program_rollup" ("period", "starts_on", "measure", "source", "value") '
        f'SELECT $1, "starts_on", \'{measure}\', "source", "value" FROM ({select}) AS "m"',
        *([period] + ([since] if since else [])),
    )


async def _compute(period: str, since: datetime | None) -> None:
    """Insert the rows of every period starting at or after `since` (all, if None)."""
    bucket = _bucket(period)
    for measure, source, value, condition in MEASURES:
        where = f'{condition} AND "created_at" >= $2' if since else condition
        select = (
            f'SELECT {bucket} AS "starts_on", {source} AS "source", {value} AS "value" '
            f'FROM "ledger_entry" WHERE {where} GROUP BY 1, 2'
        )
        await _insert(period, since, measure, select)
    paid = _bucket(period, '"engagement_order"."paid_at"')
    kept = f'{KEPT} AND "paid_at" >= $2' if since else KEPT
    for measure, source, value in ORDER_MEASURES:
        select = (
            f'SELECT {paid} AS "starts_on", {source} AS "source", {value} AS "value" '
            f'FROM "engagement_order" WHERE {kept} GROUP BY 1, 2'
        )
        await _insert(period, since, measure, select)
    joined, text, number = _order_lines()
    line = {name: number.format(name) for name in ("amount", "points")}
    refunded = {name: number.format(f"refunded_{name}") for name in ("amount", "points")}
    for measure, value in (
        ("category_sales", f"SUM({line['amount']} - {refunded['amount']})"),
        ("category_points", f"SUM({line['points']} - {refunded['points']})"),
    ):
        select = (
            f'SELECT {paid} AS "starts_on", {text.format("category")} AS "source", '
            f'{value} AS "value" '
            f"FROM {joined} WHERE {kept} GROUP BY 1, 2"
        )
        await _insert(period, since, measure, select)
    if period == "MONTH":
        await _retention(since)


RETENTION = """SELECT CASE WHEN EXISTS (SELECT 1 FROM "ledger_entry" WHERE
  "ledger_entry"."account_id" = "account"."id" AND "kind" = 'EARN'
  AND "created_at" >= $1 AND "created_at" < $2) THEN 'earners' ELSE 'others' END AS "source",
  COUNT(*) AS "cohort",
  SUM(CASE WHEN EXISTS (SELECT 1 FROM "engagement_order" WHERE
  "engagement_order"."account_id" = "account"."id" AND "paid_at" >= $2 AND "paid_at" < $3)
  THEN 1 ELSE 0 END) AS "retained"
FROM "account" WHERE "created_at" < $2 GROUP BY 1"""


async def _retention(since: datetime | None) -> None:
    """Each month's cohorts to the current month, and how many of each came back to buy in
    the month after: from the first account's month (None), or from the month before
    `since`'s, whose figure the month of `since` still decides (an order paid in its last
    minutes, after the job's last run in it)."""
    if since is None:
        first = await Account.all().order_by("created_at").first()
        if first is None:
            return
        month = period_start("MONTH", first.created_at.date())
    else:
        month = period_start("MONTH", since.date() - timedelta(days=1))
        await sql.execute(
            'DELETE FROM "program_rollup" WHERE "period" = \'MONTH\' AND "starts_on" >= $1 '
            "AND \"measure\" IN ('cohort', 'retained')",
            month,
        )
    today = clock.now().date()
    rows = []
    while month <= today:
        after = next_start("MONTH", month)
        bounds = [datetime(d.year, d.month, d.day, tzinfo=UTC) for d in (month, after)]
        ends = next_start("MONTH", after)
        bounds.append(datetime(ends.year, ends.month, ends.day, tzinfo=UTC))
        for found in await sql.fetch(RETENTION, *bounds):
            for measure in ("cohort", "retained"):
                value = int(found[measure] or 0)
                rows.append(
                    ProgramRollup(
                        period="MONTH",
                        starts_on=month,
                        measure=measure,
                        source=found["source"],
                        value=value,
                    )
                )
        month = after
    await ProgramRollup.bulk_create(rows)


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
    by_campaign: dict[str, int] = field(default_factory=dict)  # points issued
    category_sales: dict[str, int] = field(default_factory=dict)
    category_points: dict[str, int] = field(default_factory=dict)
    sales: dict[str, int] = field(default_factory=dict)  # points, others
    orders: dict[str, int] = field(default_factory=dict)
    cohort: dict[str, int] = field(default_factory=dict)  # earners, others (months)
    retained: dict[str, int] = field(default_factory=dict)

    def average_order_value(self, users: str) -> float | None:
        """Of point users' orders (`points`) or the others' (`others`)."""
        count = self.orders.get(users, 0)
        return self.sales.get(users, 0) / count if count else None

    def retention(self, users: str) -> float | None:
        """Of the month's `earners` or `others`, the share that ordered the month after."""
        count = self.cohort.get(users, 0)
        return self.retained.get(users, 0) / count if count else None

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


SERIES = (  # a few rows a period
    *("issued", "redeemed", "expired", "forfeited", "net", "earners", "redeemers"),
    *("sales", "orders", "cohort", "retained"),
)
BREAKDOWNS = ("campaign", "category_sales", "category_points")  # many rows a period


async def program_metrics(
    since: date, until: date, period: str, *, breakdowns: bool = True
) -> list[Period]:
    """The series from `since` to `until` (inclusive), from the rollups alone: two reads
    (the per-campaign and per-category rows only when `breakdowns`)."""
    first = period_start(period, since)
    opening = await sql.fetch(
        'SELECT COALESCE(SUM("value"), 0) AS "value" FROM "program_rollup" WHERE '
        '"period" = $1 AND "measure" = \'net\' AND "starts_on" < $2',
        period,
        first,
    )
    measures = "', '".join(SERIES + (BREAKDOWNS if breakdowns else ()))
    rows = await sql.fetch(  # by (period, measure, starts_on): a range of each measure
        'SELECT "starts_on", "measure", "source", "value" FROM "program_rollup" WHERE '
        f'"period" = $1 AND "measure" IN (\'{measures}\') AND "starts_on" >= $2 '
        'AND "starts_on" <= $3 ORDER BY "starts_on"',
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
            case "campaign":
                entry.by_campaign[row["source"]] = value
            case (
                "category_sales" | "category_points" | "sales" | "orders" | "cohort" | "retained"
            ) as measure:
                getattr(entry, measure)[row["source"]] = value
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
