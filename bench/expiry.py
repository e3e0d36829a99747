"""Expiry benchmark on PostgreSQL: the expiry sweep under spends, and the expiry warnings.

Run from the repository root (PostgreSQL must be running; Redis is not used: no listener
is installed in this process, so the domain's after-commit events go nowhere):

    .venv/bin/python bench/expiry.py
    .venv/bin/python bench/expiry.py --accounts 10000 --warn-users 1000   # a quick run
    .venv/bin/python bench/expiry.py --batch-sizes 500 5000               # two sweeps
    .venv/bin/python bench/expiry.py --accounts 0                         # warnings only
    .venv/bin/python bench/expiry.py --keep                               # EXPLAIN it after

It creates a fresh database `pointsmall_bench_expiry` next to the admin database of
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropping it first
if present and again at the end (unless `--keep`), applies the migrations, and measures:

1. the expiry sweep, `expire_due_points(batch_size=...)`, once per `--batch-sizes` (default
   500, the function's default), each on a freshly seeded database: `--accounts` accounts
   (100,000) each holding `--lots-per-account` (10) lots that expired a day ago and were
   never swept, and one live lot of 1,000 points expiring in 364 days. Seeded with
   set-based SQL on one connection (generate_series; INSERT ... SELECT; a window function
   for the entries' `balance_after`): a lot, its EARN entry and the entry's allocation per
   credit, the accounts' `ledger_balance` the sum of their lots, exactly what
   `entries.earn` leaves. Into an empty ledger the tables' secondary indexes are dropped
   and rebuilt from their own definitions after the load; then VACUUM ANALYZE (as
   autovacuum would have), and `audit_ledger()` must find the seed clean.
   The users spend from a process of their own (spawned, as the server's workers are):
   `--spend-tasks` (20) asyncio tasks on a pool of tasks + 2 connections keep calling
   `entries.spend` for 1-5 points of random seeded accounts (a refusal for lack of points
   is counted, not an error): `--baseline-seconds` (3) alone, for comparison, then during
   the sweep, which has this process to itself as the scheduler's job would. Printed:
   accounts, points and batches of the sweep's report, wall time, lots/s, the sweep
   process's CPU time, and the spends (alone, and meanwhile) with p50/p99/max latency.
   Checked (exit 1 otherwise): a second sweep takes what the first one left (it skips
   accounts a spend holds; printed), no due lot keeps points after it, the reports add up
   to the seeded points, every account has an EXPIRE entry and there is one per account
   the reports name, every due lot has an EXPIRE allocation, spends fail only for lack of
   points, and `audit_ledger()` is clean afterwards (no drift, books balanced);
2. the expiry warnings, `inbox.warn_expiring(LedgerRules())` (thresholds 3 and 1 days),
   in the same database after the sweep (or a fresh one with `--accounts 0`):
   `--warn-users` (10,000) new accounts each hold a lot expiring in 2 days, a lot expiring
   in 355 days (not warned), every 5th a lot expiring in 12 hours (its own warning, the
   1-day one), every 10th an expired unswept lot (not warned); a quarter have the time
   zone Asia/Shanghai. Printed: wall time and warnings/s, and the time of a second run,
   which must send 0. Checked: the count returned, and the notifications stored per
   threshold.

Latencies are nearest-rank percentiles. This prints figures; it asserts nothing about
them, but exits 1 when a count, a check or the audit is not the expected one.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import asyncpg
import uvloop

from common import (
    DEFAULT_ADMIN_URL,
    BenchError,
    asyncpg_url,
    database_url,
    drop_database,
    nearest_rank,
    recreate_database,
)
from pointsmall import clock, sql
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain.actors import Actor
from pointsmall.domain.errors import InsufficientPoints
from pointsmall.domain.ledger.audit import AuditReport, audit_ledger
from pointsmall.domain.ledger.entries import LedgerRequest, spend
from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.notifications.inbox import warn_expiring

BENCH_DATABASE = "pointsmall_bench_expiry"
SHOP = Actor(user_id="shop-backend", role="service", request_id="bench")

ACCOUNTS = 100_000
LOTS_PER_ACCOUNT = 10
LIVE_LOT = 1_000  # points of each account's lot that does not expire during the run
BATCH_SIZES = (500,)
SPEND_TASKS = 20
SPEND_MIN, SPEND_MAX = 1, 5
BASELINE_SECONDS = 3.0
WARN_USERS = 10_000
WARN_ONE_DAY_EVERY = 5  # every 5th warned user also has points expiring within a day
WARN_EXPIRED_EVERY = 10  # every 10th also has an expired, unswept lot (never warned)
WARN_ZONE_EVERY = 4  # every 4th lives in Asia/Shanghai

# The expired lots: amounts 10..100, expired a day ago (a minute apart), earned a year
# before; then the live lot, earned a day ago. In id order, so `balance_after` runs in
# time order as it would have.
SWEEP_LOTS = """
    SELECT $2::bigint + g AS account_id, 10 + (g * 7 + k * 13) % 91 AS amount,
           $1::timestamptz - interval '366 days' - ($3::int - k) * interval '1 minute'
             AS earned_at,
           $1::timestamptz - interval '1 day' - ($3::int - k) * interval '1 minute'
             AS expires_at
    FROM generate_series(1, $4::int) g CROSS JOIN generate_series(0, $3::int - 1) k
    UNION ALL
    SELECT $2::bigint + g, $5::bigint, $1::timestamptz - interval '1 day',
           $1::timestamptz + interval '364 days'
    FROM generate_series(1, $4::int) g"""
# Expiring in 2 days (warned, 3-day threshold), in 12 hours (warned, 1-day), in 355 days
# and a day ago (not warned).
WARN_LOTS = """
    SELECT $2::bigint + g AS account_id, 50 + g % 50 AS amount,
           $1::timestamptz - interval '363 days' AS earned_at,
           $1::timestamptz + interval '2 days' AS expires_at
    FROM generate_series(1, $3::int) g
    UNION ALL
    SELECT $2::bigint + g, 30, $1::timestamptz - interval '364 days 12 hours',
           $1::timestamptz + interval '12 hours'
    FROM generate_series(1, $3::int) g WHERE g % $4::int = 0
    UNION ALL
    SELECT $2::bigint + g, 500, $1::timestamptz - interval '10 days',
           $1::timestamptz + interval '355 days'
    FROM generate_series(1, $3::int) g
    UNION ALL
    SELECT $2::bigint + g, 20, $1::timestamptz - interval '366 days',
           $1::timestamptz - interval '1 day'
    FROM generate_series(1, $3::int) g WHERE g % $5::int = 0"""

# The ledger tables' indexes that back no constraint (the migrations' own definitions).
SECONDARY_INDEXES = """
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
    WHERE t.relnamespace = current_schema()::regnamespace
      AND t.relname IN ('account', 'points_lot', 'ledger_entry', 'points_allocation')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY 1"""


@dataclass(frozen=True)
class Seeded:
    first_account: int  # ids first_account .. last_account
    last_account: int
    lots: int
    points: int
    seconds: float
    steps: list[tuple[str, float]]


@dataclass
class Spends:
    latencies_ms: list[float] = field(default_factory=list)
    refused: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of the spend process

    @property
    def done(self) -> int:
        return len(self.latencies_ms)

    def summary(self) -> str:
        if not self.latencies_ms:
            return "no spends"
        failures = f", FAILED {dict(self.failures)}" if self.failures else ""
        return (
            f"{self.done:,} spends ({self.refused:,} refused for lack of points{failures}) "
            f"{self.done / self.seconds:,.1f}/s  "
            f"p50 {statistics.median(self.latencies_ms):.1f} ms  "
            f"p99 {nearest_rank(self.latencies_ms, 0.99):.1f} ms  "
            f"max {max(self.latencies_ms):.1f} ms  "
            f"(spend process CPU {self.cpu_seconds / self.seconds:.0%})"
        )


@dataclass(frozen=True)
class SweepRun:
    batch_size: int
    accounts: int
    lots: int
    points: int
    batches: int
    seconds: float
    spends: Spends
    baseline: Spends
    second_pass_accounts: int
    second_pass_points: int
    second_pass_seconds: float
    seed_seconds: float
    audit_seconds: float


@dataclass(frozen=True)
class WarnRun:
    users: int
    sent: int
    seconds: float
    again_sent: int
    again_seconds: float
    seed_seconds: float


# --- seeding --------------------------------------------------------------------------


async def seed(bench_url: str, lots_query: str, *params: object, prefix: str) -> Seeded:
    """New accounts and their lots, each lot earned by an EARN entry with its allocation,
    all set-based. `lots_query` gives (account_id, amount, earned_at, expires_at) rows
    with $1 now and $2 the id before the first new account; ids continue the tables'."""
    began = time.perf_counter()
    steps: list[tuple[str, float]] = []
    connection = await asyncpg.connect(asyncpg_url(bench_url))
    try:
        await connection.execute("SET synchronous_commit = off")
        await connection.execute("SET work_mem = '256MB'")
        await connection.execute("SET maintenance_work_mem = '512MB'")
        bases = await connection.fetchrow(
            'SELECT (SELECT COALESCE(MAX("id"), 0) FROM "account") AS account, '
            '(SELECT COALESCE(MAX("id"), 0) FROM "points_lot") AS lot, '
            '(SELECT COALESCE(MAX("id"), 0) FROM "ledger_entry") AS entry, '
            '(SELECT COALESCE(MAX("id"), 0) FROM "points_allocation") AS allocation'
        )
        assert bases is not None
        now = clock.now()

        async def step(label: str, statement: str, *args: object) -> None:
            started = time.perf_counter()
            await connection.execute(statement, *args)
            steps.append((label, time.perf_counter() - started))

        async with connection.transaction():
            # Into an empty ledger, the secondary indexes are built once at the end (the
            # same definitions): much faster than maintaining them row by row.
            indexes = [] if any(bases.values()) else await connection.fetch(SECONDARY_INDEXES)
            for index in indexes:
                await connection.execute(f"DROP INDEX {index['name']}")
            await connection.execute(
                "CREATE TEMP TABLE seed_lot (n bigint, account_id bigint, amount bigint, "
                "earned_at timestamptz, expires_at timestamptz) ON COMMIT DROP"
            )
            await step(
                "lots to write",
                "INSERT INTO seed_lot SELECT row_number() OVER "
                '(ORDER BY s."account_id", s."earned_at"), s."account_id", s."amount", '
                f's."earned_at", s."expires_at" FROM ({lots_query}) s',
                now,
                bases["account"],
                *params,
            )
            await step(
                "accounts",
                'INSERT INTO "account" ("id", "user_id", "timezone", "tags", "frozen", '
                '"ledger_balance", "held", "debt", "created_at", "updated_at") '
                "SELECT t.account_id, $2::text || lpad((t.account_id - $3::bigint)::text, 7, '0'), "
                "CASE WHEN (t.account_id - $3::bigint) % $4::int = 0 "
                "THEN 'Asia/Shanghai' END, '[]'::jsonb, false, t.total, 0, 0, "
                "$1::timestamptz - interval '400 days', $1::timestamptz "
                'FROM (SELECT "account_id", SUM("amount") AS total FROM seed_lot '
                'GROUP BY "account_id") t ORDER BY t.account_id',
                now,
                prefix,
                bases["account"],
                WARN_ZONE_EVERY,
            )
            await step(
                "lots",
                'INSERT INTO "points_lot" ("id", "account_id", "amount", "remaining", "source", '
                '"earned_at", "available_at", "expires_at") '
                "SELECT $1::bigint + n, account_id, amount, amount, 'EARN', earned_at, "
                "earned_at, expires_at FROM seed_lot ORDER BY n",
                bases["lot"],
            )
            await step(
                "EARN entries",
                'INSERT INTO "ledger_entry" ("id", "account_id", "kind", "amount", '
                '"balance_after", "counterparty", "reason", "actor", "actor_role", '
                '"request_id", "created_at", "debt_change") '
                "SELECT $1::bigint + n, account_id, 'EARN', amount, "
                "SUM(amount) OVER (PARTITION BY account_id ORDER BY n), 'ISSUED', "
                "'bench seed', $2, $3, $4, earned_at, 0 FROM seed_lot ORDER BY n",
                bases["entry"],
                SHOP.user_id,
                SHOP.role,
                SHOP.request_id,
            )
            await step(
                "allocations",
                'INSERT INTO "points_allocation" ("id", "entry_id", "lot_id", "amount") '
                "SELECT $1::bigint + n, $2::bigint + n, $3::bigint + n, amount "
                "FROM seed_lot ORDER BY n",
                bases["allocation"],
                bases["entry"],
                bases["lot"],
            )
            if indexes:
                started = time.perf_counter()
                for index in indexes:
                    await connection.execute(index["definition"])
                steps.append((f"{len(indexes)} indexes", time.perf_counter() - started))
            totals = await connection.fetchrow(
                'SELECT COUNT(*) AS lots, COALESCE(SUM("amount"), 0) AS points, '
                'COUNT(DISTINCT "account_id") AS accounts FROM seed_lot'
            )
            assert totals is not None
            for table in ("account", "points_lot", "ledger_entry", "points_allocation"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT MAX("id") FROM "{table}"))'
                )
        started = time.perf_counter()
        await connection.execute(
            'VACUUM ANALYZE "account", "points_lot", "ledger_entry", "points_allocation", '
            '"notification"'
        )
        steps.append(("vacuum analyze", time.perf_counter() - started))
    finally:
        await connection.close()
    return Seeded(
        first_account=int(bases["account"]) + 1,
        last_account=int(bases["account"]) + int(totals["accounts"]),
        lots=int(totals["lots"]),
        points=int(totals["points"]),
        seconds=time.perf_counter() - began,
        steps=steps,
    )


def print_seed(what: str, seeded: Seeded) -> None:
    steps = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in seeded.steps)
    print(
        f"seeded {what} in {seeded.seconds:.1f} s ({steps})",
        flush=True,
    )


def check_audit(report: AuditReport, when: str) -> None:
    books = report.books
    print(
        f"audit {when}: {'clean' if report.clean else 'NOT CLEAN'}  "
        f"({report.accounts:,} accounts; issued {books.issued:,}, redeemed {books.redeemed:,}, "
        f"expired {books.expired:,}, outstanding {books.outstanding:,}; "
        f"balanced {books.balanced})",
        flush=True,
    )
    if not report.clean:
        for drift in report.drift[:20]:
            print(
                f"  drift: {drift.check}: {drift.subject} recorded {drift.recorded} "
                f"recomputed {drift.recomputed}",
                flush=True,
            )
        raise BenchError(f"the ledger audit {when} is not clean ({len(report.drift)} drifts)")


async def timed_audit(when: str) -> float:
    began = time.perf_counter()
    report = await audit_ledger()
    seconds = time.perf_counter() - began
    check_audit(report, f"{when} ({seconds:.1f} s)")
    return seconds


async def count(query: str, *args: object) -> int:
    rows = await sql.fetch(query, *args)
    return int(next(iter(rows[0].values())) or 0)


# --- 1. the sweep under spends ---------------------------------------------------------


def spend_process(
    bench_url: str, first: int, last: int, tasks: int, label: str, pipe: Connection
) -> None:
    """The users, in a process of their own (as the server's workers would be): `tasks`
    asyncio tasks spend 1-5 points of random accounts first..last, from "ready" on.

    On "mark" it sends the spends so far and starts counting anew; on "stop" it sends the
    spends since the mark and ends."""
    uvloop.run(spending(bench_url, first, last, tasks, label, pipe))


async def spending(
    bench_url: str, first: int, last: int, tasks: int, label: str, pipe: Connection
) -> None:
    async with open_database(bench_url, pool_size=tasks + 2):
        spends = Spends()
        stop = asyncio.Event()

        async def spender(number: int) -> None:
            rng = random.Random(f"{label}-{number}")
            sequence = 0
            while not stop.is_set():
                account_id = rng.randint(first, last)
                request = LedgerRequest(
                    actor=SHOP,
                    idempotency_key=f"{label}-{number}-{sequence}",
                    reason="bench spend",
                )
                sequence += 1
                began = time.perf_counter()
                try:
                    await spend(account_id, rng.randint(SPEND_MIN, SPEND_MAX), request)
                except InsufficientPoints:
                    spends.refused += 1
                except Exception as error:
                    spends.failures[f"{type(error).__name__}: {error}"[:160]] += 1
                    continue
                spends.latencies_ms.append((time.perf_counter() - began) * 1000)

        workers = [asyncio.create_task(spender(number)) for number in range(tasks)]
        began, cpu = time.perf_counter(), time.process_time()
        pipe.send("ready")
        while True:
            command = await asyncio.to_thread(pipe.recv)
            if command == "stop":
                stop.set()
                await asyncio.gather(*workers)
            spends.seconds = time.perf_counter() - began
            spends.cpu_seconds = time.process_time() - cpu
            pipe.send(spends)
            if command == "stop":
                return
            spends = Spends()
            began, cpu = time.perf_counter(), time.process_time()


class Spenders:
    """The spend process, seen from the bench's."""

    def __init__(self, bench_url: str, seeded: Seeded, tasks: int, label: str) -> None:
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=spend_process,
            args=(bench_url, seeded.first_account, seeded.last_account, tasks, label, child),
            daemon=True,
        )

    async def start(self) -> None:
        self.process.start()
        if await self.receive() != "ready":
            raise BenchError("the spend process did not start")

    async def ask(self, command: str) -> Spends:
        self.pipe.send(command)
        spends = await self.receive()
        if not isinstance(spends, Spends):
            raise BenchError(f"the spend process answered {spends!r}")
        return spends

    async def receive(self) -> object:
        def wait() -> object:
            while not self.pipe.poll(1.0):
                if not self.process.is_alive():
                    raise BenchError(f"the spend process exited ({self.process.exitcode})")
            return self.pipe.recv()

        return await asyncio.to_thread(wait)

    def close(self) -> None:
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()


async def bench_sweep(bench_url: str, args: argparse.Namespace, batch_size: int) -> SweepRun:
    print(
        f"\n== sweep, batch size {batch_size}: {args.accounts:,} accounts x "
        f"{args.lots_per_account} due lots, {args.spend_tasks} spend tasks",
        flush=True,
    )
    await recreate_database(args.admin_url, BENCH_DATABASE)
    await apply_migrations(bench_url)
    seeded = await seed(
        bench_url,
        SWEEP_LOTS,
        args.lots_per_account,
        args.accounts,
        LIVE_LOT,
        prefix="bench-expiry-",
    )
    due_lots = args.accounts * args.lots_per_account
    due_points = seeded.points - args.accounts * LIVE_LOT
    print_seed(f"{seeded.lots:,} lots ({due_lots:,} due, {due_points:,} points)", seeded)
    async with open_database(bench_url, pool_size=4):
        audit_seconds = await timed_audit("of the seed")
        baseline = spends = Spends()
        spenders = None
        if args.spend_tasks:
            spenders = Spenders(bench_url, seeded, args.spend_tasks, f"spend-{batch_size}")
            await spenders.start()
        try:
            if spenders is not None:
                await asyncio.sleep(args.baseline_seconds)
                baseline = await spenders.ask("mark")
                print(f"spends alone: {baseline.summary()}", flush=True)
            began, cpu = time.perf_counter(), time.process_time()
            report = await expire_due_points(batch_size=batch_size)
            seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
            if spenders is not None:
                spends = await spenders.ask("stop")
        finally:
            if spenders is not None:
                spenders.close()
        now = clock.now()
        due_left = 'SELECT COUNT(*) FROM "points_lot" WHERE "remaining" > 0 AND "expires_at" <= $1'
        left_lots = await count(due_left, now)
        print(
            f"swept {report.accounts:,} accounts, {report.points:,} points in "
            f"{report.batches:,} batches: {seconds:.1f} s, {due_lots / seconds:,.0f} lots/s, "
            f"{report.accounts / seconds:,.0f} accounts/s (the sweep's process: "
            f"{cpu_seconds:.1f} s CPU); due lots left: {left_lots:,}",
            flush=True,
        )
        print(f"spends during the sweep: {spends.summary()}", flush=True)

        began = time.perf_counter()
        again = await expire_due_points(batch_size=batch_size)
        again_seconds = time.perf_counter() - began
        print(
            f"second pass: {again.accounts:,} accounts, {again.points:,} points in "
            f"{again_seconds * 1000:.0f} ms",
            flush=True,
        )
        problems = []
        still_left = await count(due_left, clock.now())
        if still_left:
            problems.append(f"{still_left:,} due lots still hold points after two passes")
        expire_entries = await count(
            'SELECT COUNT(*) FROM "ledger_entry" WHERE "kind" = \'EXPIRE\''
        )
        expired_accounts = await count(
            'SELECT COUNT(DISTINCT "account_id") FROM "ledger_entry" WHERE "kind" = \'EXPIRE\''
        )
        expired_lots = await count(
            'SELECT COUNT(DISTINCT al."lot_id") FROM "points_allocation" al '
            'JOIN "ledger_entry" e ON e."id" = al."entry_id" WHERE e."kind" = \'EXPIRE\''
        )
        if report.points + again.points != due_points:
            problems.append(f"swept {report.points + again.points:,} points, not {due_points:,}")
        if expire_entries != report.accounts + again.accounts:
            problems.append(
                f"{expire_entries:,} EXPIRE entries; the reports say "
                f"{report.accounts:,} + {again.accounts:,} accounts"
            )
        if expired_accounts != args.accounts:
            problems.append(f"{expired_accounts:,} accounts have an EXPIRE entry")
        if expired_lots != due_lots:
            problems.append(f"{expired_lots:,} lots have an EXPIRE allocation, not {due_lots:,}")
        if spends.failures or baseline.failures:
            problems.append(f"spends failed: {dict(spends.failures + baseline.failures)}")
        await timed_audit("after the sweep")
        if problems:
            raise BenchError("; ".join(problems))
    return SweepRun(
        batch_size=batch_size,
        accounts=report.accounts,
        lots=due_lots,
        points=report.points,
        batches=report.batches,
        seconds=seconds,
        spends=spends,
        baseline=baseline,
        second_pass_accounts=again.accounts,
        second_pass_points=again.points,
        second_pass_seconds=again_seconds,
        seed_seconds=seeded.seconds,
        audit_seconds=audit_seconds,
    )


# --- 2. expiry warnings ---------------------------------------------------------------


async def bench_warnings(bench_url: str, args: argparse.Namespace, fresh: bool) -> WarnRun:
    users = args.warn_users
    print(f"\n== expiry warnings: {users:,} users", flush=True)
    if fresh:
        await recreate_database(args.admin_url, BENCH_DATABASE)
        await apply_migrations(bench_url)
    seeded = await seed(
        bench_url,
        WARN_LOTS,
        users,
        WARN_ONE_DAY_EVERY,
        WARN_EXPIRED_EVERY,
        prefix="bench-warned-",
    )
    print_seed(f"{users:,} accounts, {seeded.lots:,} lots", seeded)
    within_one_day = users // WARN_ONE_DAY_EVERY
    expected = users + within_one_day
    rules = LedgerRules()
    async with open_database(bench_url, pool_size=4):
        await timed_audit("with the warned users")
        began = time.perf_counter()
        sent = await warn_expiring(rules)
        seconds = time.perf_counter() - began
        print(
            f"warned: {sent:,} warnings in {seconds:.1f} s, {sent / seconds:,.0f} warnings/s "
            f"(expected {expected:,})",
            flush=True,
        )
        began = time.perf_counter()
        again = await warn_expiring(rules)
        again_seconds = time.perf_counter() - began
        print(f"again: {again:,} warnings in {again_seconds:.1f} s", flush=True)
        stored = {
            int(row["within_days"]): int(row["count"])
            for row in await sql.fetch(
                "SELECT (\"payload\"->>'within_days')::int AS within_days, COUNT(*) AS count "
                'FROM "notification" WHERE "kind" = \'POINTS_EXPIRING_SOON\' GROUP BY 1'
            )
        }
    problems = []
    if sent != expected:
        problems.append(f"{sent:,} warnings sent, expected {expected:,}")
    if again != 0:
        problems.append(f"the second run sent {again:,} warnings, expected 0")
    if stored != {3: users, 1: within_one_day} and users:
        problems.append(
            f"stored warnings by threshold (days: count) {stored}, "
            f"expected {{3: {users}, 1: {within_one_day}}}"
        )
    if problems:
        raise BenchError("; ".join(problems))
    return WarnRun(
        users=users,
        sent=sent,
        seconds=seconds,
        again_sent=again,
        again_seconds=again_seconds,
        seed_seconds=seeded.seconds,
    )


# --- the whole run --------------------------------------------------------------------


def summary(
    sweeps: Sequence[SweepRun], warned: WarnRun | None, postgres: str, started: float
) -> list[str]:
    cores = os.cpu_count() or 1
    lines = [f"pointsmall expiry benchmark  (PostgreSQL {postgres}, {cores} cores)"]
    for run in sweeps:
        lines += [
            f"sweep, batch {run.batch_size:>5}: {run.lots:,} lots of {run.accounts:,} accounts "
            f"in {run.seconds:.1f} s = {run.lots / run.seconds:,.0f} lots/s "
            f"({run.batches:,} batches; seeded in {run.seed_seconds:.0f} s, "
            f"audit {run.audit_seconds:.0f} s)",
            f"  spends meanwhile: {run.spends.summary()}",
            f"  spends alone:     {run.baseline.summary()}",
            f"  second pass took {run.second_pass_accounts:,} accounts "
            f"({run.second_pass_points:,} points) in {run.second_pass_seconds * 1000:.0f} ms",
        ]
    if warned is not None:
        lines += [
            f"warnings: {warned.sent:,} to {warned.users:,} users in {warned.seconds:.1f} s = "
            f"{warned.sent / warned.seconds:,.0f} warnings/s; rerun sent {warned.again_sent} "
            f"in {warned.again_seconds:.1f} s (seeded in {warned.seed_seconds:.1f} s)"
        ]
    lines.append(f"total run time {time.perf_counter() - started:.0f} s")
    return lines


async def run(args: argparse.Namespace, started: float) -> list[str]:
    bench_url = database_url(args.admin_url, BENCH_DATABASE)
    postgres = await recreate_database(args.admin_url, BENCH_DATABASE)
    sweeps: list[SweepRun] = []
    warned: WarnRun | None = None
    try:
        if args.accounts > 0:
            for batch_size in args.batch_sizes:
                sweeps.append(await bench_sweep(bench_url, args, batch_size))
        if args.warn_users > 0:
            warned = await bench_warnings(bench_url, args, fresh=not sweeps)
    finally:
        if args.keep:
            print(f"kept database {BENCH_DATABASE}", flush=True)
        else:
            await drop_database(args.admin_url, BENCH_DATABASE)
    return summary(sweeps, warned, postgres, started)


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=ACCOUNTS, help="0: no sweep")
    parser.add_argument("--lots-per-account", type=int, default=LOTS_PER_ACCOUNT)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES))
    parser.add_argument("--spend-tasks", type=int, default=SPEND_TASKS, help="0: sweep alone")
    parser.add_argument("--baseline-seconds", type=float, default=BASELINE_SECONDS)
    parser.add_argument("--warn-users", type=int, default=WARN_USERS, help="0: no warnings")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args(argv)
    if args.lots_per_account < 1 or args.accounts < 0 or args.warn_users < 0:
        parser.error("--lots-per-account must be 1+, --accounts and --warn-users 0+")
    args.admin_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_ADMIN_URL)
    return args


def main() -> int:
    args = arguments()
    started = time.perf_counter()
    try:
        lines = uvloop.run(run(args, started))
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    print()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
