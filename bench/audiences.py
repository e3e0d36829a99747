"""Audience preview benchmark on PostgreSQL: `audiencePreview` over 1,000,000 users.

Run from the repository root (PostgreSQL must be running; Redis is not used):

    .venv/bin/python bench/audiences.py
    .venv/bin/python bench/audiences.py --users 100000 --runs 3   # a quick run
    .venv/bin/python bench/audiences.py --keep                    # EXPLAIN it after

It creates a fresh database `pointsmall_bench_audiences` next to the admin database of
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropping it first
if present and again at the end (unless `--keep`), applies the migrations, and seeds with
set-based SQL (generate_series) `--users` accounts (1,000,000) with random tags (of 8),
time zones (of 4), registration times (the last 2 years), lifecycle segments, RFM scores
and segments (70% have some), tiers (80% Silver, 15% Gold, 5% Platinum), balances and a
custom attribute `city` (of 6); and `--orders-per-user` (2) x users paid orders spread
over the last 400 days, one in 20 wholly refunded. Then VACUUM ANALYZE.

For each rule below it times `audiences.preview` (the size by one COUNT, and a sample of
10, both over the whole table: what the admin field runs) `--runs` times (7) after one
warm-up, and prints the median, the fastest and the slowest, with the size found. It
checks (exit 1 otherwise) that each size equals a count of the members computed by an
independent, plainer SQL statement written for the benchmark.

This prints figures; it asserts nothing about them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

from common import asyncpg_url, bench_target, drop_database, recreate_database
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain.audience import audiences
from pointsmall.domain.ledger.rules import LedgerRules

DATABASE = "pointsmall_bench_audiences"

SEED_ACCOUNTS = """
INSERT INTO "account" ("user_id", "nickname", "timezone", "registered_at", "tags", "frozen",
  "ledger_balance", "held", "debt", "segment", "segment_since", "tier_level", "rfm_recency",
  "rfm_frequency", "rfm_monetary", "rfm_segment", "attributes", "created_at", "updated_at")
SELECT 'user-' || i, NULL,
  (ARRAY['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', NULL])[1 + i % 4],
  $1::timestamptz - ((i * 7919) % 730) * interval '1 day',
  jsonb_build_array((ARRAY['gamer','tea','coffee','runner','mother','movies','books','pets'])
    [1 + (i * 31) % 8], (ARRAY['gamer','tea','coffee','runner'])[1 + (i * 17) % 4]),
  false, (i * 104729) % 20000, 0, 0,
  (ARRAY['NEW','ACTIVE','REGULAR','DORMANT','CHURNED'])[1 + (i * 13) % 5], NULL,
  CASE WHEN i % 20 = 0 THEN 2 WHEN i % 20 < 4 THEN 1 ELSE 0 END,
  CASE WHEN i % 10 < 7 THEN 1 + (i * 7) % 5 END, CASE WHEN i % 10 < 7 THEN 1 + (i * 11) % 5 END,
  CASE WHEN i % 10 < 7 THEN 1 + (i * 3) % 5 END,
  CASE WHEN i % 10 < 7 THEN (ARRAY['CHAMPIONS','LOYAL','POTENTIAL','NEW_CUSTOMERS','AT_RISK',
    'HIBERNATING','LOST'])[1 + (i * 5) % 7] END,
  jsonb_build_object('city', (ARRAY['paris','lyon','berlin','tokyo','austin','hangzhou'])
    [1 + (i * 37) % 6]),
  $1::timestamptz - ((i * 7919) % 730) * interval '1 day', $1::timestamptz
FROM generate_series(1, $2::bigint) AS i
"""

SEED_ORDERS = """
INSERT INTO "engagement_order" ("order_id", "account_id", "paid_at", "currency", "amount",
  "refunded_amount", "points", "first_order_bonus", "lines", "request_fingerprint",
  "created_at")
SELECT 'order-' || n, 1 + floor(random() * $2::bigint)::bigint,
  $1::timestamptz - floor(random() * 400 * 24) * interval '1 hour', 'USD',
  1000 + (n * 7727) % 40000,
  CASE WHEN n % 20 = 0 THEN 1000 + (n * 7727) % 40000 ELSE 0 END,
  0, false, '[]'::jsonb, 'bench', $1::timestamptz
FROM generate_series(1, $3::bigint) AS n
"""

RULES: list[tuple[str, dict[str, Any], str]] = [
    (
        "Gold and above",
        {"tierAtLeast": "Gold"},
        'SELECT COUNT(*) FROM "account" WHERE "tier_level" >= 1',
    ),
    (
        "active, 2+ orders in 30 days, not gamers",
        {
            "all": [
                {"segment": ["ACTIVE", "REGULAR"]},
                {"paidOrders": {"atLeast": 2, "withinDays": 30}},
                {"not": {"tag": "gamer"}},
            ]
        },
        """SELECT COUNT(*) FROM "account" a WHERE a."segment" IN ('ACTIVE', 'REGULAR')
        AND NOT a."tags" ? 'gamer' AND (SELECT COUNT(*) FROM "engagement_order" o
        WHERE o."account_id" = a."id" AND o."amount" > o."refunded_amount"
        AND o."paid_at" > $1::timestamptz - interval '30 days') >= 2""",
    ),
    (
        "champions who spent 500.00, or new in Shanghai, or Parisians",
        {
            "any": [
                {
                    "all": [
                        {"rfmSegment": ["CHAMPIONS", "LOYAL"]},
                        {"spent": {"atLeast": 50_000, "withinDays": 365}},
                    ]
                },
                {"all": [{"registeredWithinDays": 30}, {"timeZone": ["Asia/Shanghai"]}]},
                {"attribute": {"name": "city", "value": "paris"}},
            ]
        },
        """SELECT COUNT(*) FROM "account" a WHERE (a."rfm_segment" IN ('CHAMPIONS', 'LOYAL')
        AND (SELECT COALESCE(SUM(o."amount" - o."refunded_amount"), 0) FROM "engagement_order" o
        WHERE o."account_id" = a."id" AND o."amount" > o."refunded_amount"
        AND o."paid_at" > $1::timestamptz - interval '365 days') >= 50000)
        OR (a."registered_at" > $1::timestamptz - interval '30 days'
        AND a."timezone" = 'Asia/Shanghai') OR a."attributes"->>'city' = 'paris'""",
    ),
]


async def seed(url: str, users: int, orders: int, now: datetime) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        await connection.execute(SEED_ACCOUNTS, now, users)
        await connection.execute("SELECT setseed(0.42)")  # the same orders every run
        await connection.execute(SEED_ORDERS, now, users, orders)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def plain_count(url: str, statement: str, now: datetime) -> int:
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        args = [now] if "$1" in statement else []
        return int(await connection.fetchval(statement, *args))
    finally:
        await connection.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--orders-per-user", type=int, default=2)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    target = bench_target(DATABASE, "redis://127.0.0.1:6379/14")
    version = await recreate_database(target.admin_url, DATABASE)
    now = datetime.now(UTC).replace(microsecond=0)
    failed = False
    try:
        await apply_migrations(target.bench_url)
        took = await seed(
            target.bench_url, options.users, options.users * options.orders_per_user, now
        )
        orders = options.users * options.orders_per_user
        print(
            f"PostgreSQL {version}: {options.users:,} users, {orders:,} orders "
            f"seeded in {took:.1f} s"
        )
        rules = LedgerRules()
        print(f"\n{'rule':<62} {'size':>9} {'median':>9} {'fastest':>9} {'slowest':>9}")
        async with open_database(target.bench_url, pool_size=2):
            for label, rule, plain in RULES:
                found = await audiences.preview(rule, now, rules)  # warm-up
                times = []
                for _ in range(options.runs):
                    started = time.perf_counter()
                    found = await audiences.preview(rule, now, rules)
                    times.append((time.perf_counter() - started) * 1000)
                expected = await plain_count(target.bench_url, plain, now)
                mark = "" if expected == found.size else f"  MISMATCH: plain SQL says {expected}"
                failed |= bool(mark)
                print(f"{label:<62} {found.size:>9,} {statistics.median(times):>7.0f}ms "
                      f"{min(times):>7.0f}ms {max(times):>7.0f}ms{mark}")  # fmt: skip
    finally:
        if not options.keep:
            await drop_database(target.admin_url, DATABASE)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
