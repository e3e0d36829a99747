"""Programme figures benchmark on PostgreSQL: `programMetrics` over a 10,000,000-entry ledger.

Run from the repository root (PostgreSQL must be running; Redis is not used):

    .venv/bin/python bench/figures.py
    .venv/bin/python bench/figures.py --entries 1000000 --runs 5   # a quick run
    .venv/bin/python bench/figures.py --keep; .venv/bin/python bench/figures.py --reuse

It creates a fresh database `pointsmall_bench_figures` next to the admin database of
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropping it first
if present and again at the end (unless `--keep`), applies the migrations, and seeds with
set-based SQL `--accounts` (100,000) accounts and `--entries` (10,000,000) ledger entries
spread over the last 400 days: 60% earnings (of six sources; the campaigns' of 40
campaigns, as `campaign:<id>` references are), 30% redemptions, 7% expiries, 3% forfeits
(the rollups read entries only: no lots are made; no orders, so the order figures and the
retention cohorts are computed over none). Then VACUUM ANALYZE.

Timed: rolling up each period kind over the whole ledger (`rebuild`, what the job's
first run does), the job's refresh of the current periods, and `program_metrics` for a
year (the year to the day before, in days, weeks and months, as the dashboard asks; and
in days with the per-category and per-campaign breakdowns, `DAY+cat.`): `--runs` (20) after one
warm-up, median, fastest, slowest. Checked (exit 1 otherwise): the year's issued,
redeemed and expired equal the ledger's own sums over the same days.

This prints figures; it asserts nothing about them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

import asyncpg

from common import asyncpg_url, bench_target, drop_database, recreate_database
from pointsmall import sql
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain import figures

DATABASE = "pointsmall_bench_figures"

SEED_ACCOUNTS = """
INSERT INTO "account" ("user_id", "tags", "frozen", "ledger_balance", "held", "created_at",
  "updated_at")
SELECT 'user-' || i, '[]'::jsonb, false, 0, 0, $1::timestamptz, $1::timestamptz
FROM generate_series(1, $2::bigint) AS i
"""

SEED_ENTRIES = """
INSERT INTO "ledger_entry" ("account_id", "kind", "amount", "balance_after", "counterparty",
  "reference", "actor", "actor_role", "debt_change", "created_at")
SELECT 1 + (n * 7919) % $2::bigint,
  CASE WHEN r < 60 THEN 'EARN' WHEN r < 90 THEN 'SPEND' WHEN r < 97 THEN 'EXPIRE'
    ELSE 'FORFEIT' END,
  CASE WHEN r < 60 THEN 1 + n % 500 ELSE -(1 + n % 300) END,
  0,
  CASE WHEN r < 60 THEN 'ISSUED' WHEN r < 90 THEN 'REDEEMED' WHEN r < 97 THEN 'EXPIRED'
    ELSE 'FORFEITED' END,
  CASE WHEN r < 60 THEN (ARRAY['order:', 'check-in:', 'share:', 'task:', 'gift:',
    'campaign:'])[1 + n % 6] || CASE WHEN n % 6 = 5 THEN n % 40 ELSE n END ELSE NULL END,
  'bench', 'service', 0,
  $1::timestamptz - (n % (400 * 24 * 60)) * interval '1 minute'
FROM (SELECT n, (n * 37) % 100 AS r FROM generate_series(1, $3::bigint) AS n) AS seeded
"""


async def seed(url: str, accounts: int, entries: int, now: datetime) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        await connection.execute(SEED_ACCOUNTS, now, accounts)
        await connection.execute(SEED_ENTRIES, now, accounts, entries)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def ledger_sums(url: str, since: date, until: date) -> dict[str, int]:
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        row = await connection.fetchrow(
            """SELECT
              SUM(CASE WHEN "counterparty" = 'ISSUED' THEN "amount" ELSE 0 END) AS issued,
              SUM(CASE WHEN "counterparty" = 'REDEEMED' THEN -"amount" ELSE 0 END) AS redeemed,
              SUM(CASE WHEN "counterparty" = 'EXPIRED' THEN -"amount" ELSE 0 END) AS expired
            FROM "ledger_entry" WHERE "created_at" >= $1 AND "created_at" < $2""",
            datetime(since.year, since.month, since.day, tzinfo=UTC),
            datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1),
        )
    finally:
        await connection.close()
    assert row is not None
    return {key: int(row[key]) for key in ("issued", "redeemed", "expired")}


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="time a kept database again")
    options = parser.parse_args()
    target = bench_target(DATABASE, "redis://127.0.0.1:6379/14")
    now = datetime.now(UTC).replace(microsecond=0)
    failed = False
    try:
        if not options.reuse:
            version = await recreate_database(target.admin_url, DATABASE)
        await apply_migrations(target.bench_url)  # a reused database: the new ones
        if not options.reuse:
            took = await seed(target.bench_url, options.accounts, options.entries, now)
            print(f"PostgreSQL {version}: {options.entries:,} entries of {options.accounts:,} "
                  f"accounts seeded in {took:.0f} s\n")  # fmt: skip
        async with open_database(target.bench_url, pool_size=2):
            for period in figures.PERIODS:
                started = time.perf_counter()
                await figures.rebuild(period)
                took = time.perf_counter() - started
                print(f"rollup of every {period.lower()} (rebuild): {took:.1f} s")
            started = time.perf_counter()
            await figures.refresh(now)
            took = time.perf_counter() - started
            print(f"the job's refresh of the current periods: {took:.2f} s\n")
            await sql.execute('ANALYZE "program_rollup"')  # as autovacuum soon would
            until = now.date() - timedelta(days=1)
            since = until - timedelta(days=364)
            print(f"programMetrics, {since} to {until}, {options.runs} runs after a warm-up:")
            print(f"{'interval':<10} {'periods':>8} {'median':>9} {'fastest':>9} {'slowest':>9}")
            expected = await ledger_sums(target.bench_url, since, until)
            asked = [(period, False) for period in figures.PERIODS] + [("DAY", True)]
            for period, breakdowns in asked:
                series = await figures.program_metrics(since, until, period, breakdowns=breakdowns)
                times = []
                for _ in range(options.runs):
                    started = time.perf_counter()
                    series = await figures.program_metrics(
                        since, until, period, breakdowns=breakdowns
                    )
                    times.append((time.perf_counter() - started) * 1000)
                got = {
                    "issued": sum(p.issued for p in series),
                    "redeemed": sum(p.redeemed for p in series),
                    "expired": sum(p.expired for p in series),
                }
                mark = ""
                if period == "DAY" and got != expected:
                    mark = f"  MISMATCH: ledger {expected}, rollups {got}"
                    failed = True
                label = f"{period}+cat." if breakdowns else period
                print(f"{label:<10} {len(series):>8} {statistics.median(times):>7.1f}ms "
                      f"{min(times):>7.1f}ms {max(times):>7.1f}ms{mark}")  # fmt: skip
    finally:
        if not options.keep:
            await drop_database(target.admin_url, DATABASE)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
