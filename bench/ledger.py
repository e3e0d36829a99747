"""Ledger benchmark on PostgreSQL + Redis: the `me` query over HTTP, and spends.

Run from the repository root (PostgreSQL, Redis and wrk must be running / installed):

    .venv/bin/python bench/entries.py

It creates a fresh database `pointsmall_bench` next to the admin database of
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropping it first
if present and again at the end, and uses Redis database BENCH_REDIS_URL (default
redis://127.0.0.1:6379/14). It seeds 1,000 users of 20 ledger entries each, then measures:

1. the `me` query (points, expiry and the first ledger page) at 50 concurrent clients with
   wrk against `pointsmall serve` on port 8099, with 1 worker and (on 2+ cores) 2 workers:
   a 3 s warm-up, then 5 runs of 5 s; medians of the runs;
2. spends at the domain layer (no HTTP), 50 asyncio tasks on a pool of 20 connections:
   2,000 spends of 10 over 1,000 users, and 1,000 spends of 1 on one hot account;
   medians of 3 runs.

The server runs with the development JWT secret and its default pool (DATABASE_POOL_SIZE
is passed through). This prints figures; it asserts nothing about them.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from common import (
    CLIENTS,
    WRK_RUNS,
    BenchError,
    Row,
    base_url,
    bench_target,
    clear_redis,
    drop_database,
    format_rows,
    nearest_rank,
    read_tokens,
    recreate_database,
    server,
    workers_label,
    write_requests,
    wrk_missing,
    wrk_row,
    wrk_runs,
)
from pointsmall import clock
from pointsmall.auth import Role, issue_token
from pointsmall.config import Settings
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain.actors import Actor
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account
from pointsmall.runtime import ledger_rules

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
BENCH_DATABASE = "pointsmall_bench"
PORT = 8099

USERS = 1_000
TOKENS = 200
SEED_CONCURRENCY = 50
SPEND_TASKS = 50
SPEND_POOL = 20
SPEND_RUNS = 3
DISTINCT_SPENDS = 2_000
DISTINCT_AMOUNT = 10
HOT_SPENDS = 1_000
HOT_AMOUNT = 1

ME_QUERY = (
    "query { me { id nickname points { balance pending held "
    "expiringSoon { amount expiresAt } nextExpiry { amount expiresAt } } "
    "ledger(first: 10) { edges { node { id kind amount balanceAfter reason createdAt } } "
    "pageInfo { hasNextPage endCursor } } } }"
)
ME_BODY = json.dumps({"query": ME_QUERY})

SHOP = Actor(user_id="shop-backend", role="service", request_id="bench")
# Per user: 15 grants (two expiring within 30 days, one still pending) and 5 spends,
# interleaved so the running balance moves: 20 ledger entries. The spends (earliest expiry
# first) leave part of both soon-expiring lots, so `expiringSoon` has two items.
GRANTS = (120, 200, 80, 60, 300, 90, 110, 70, 150, 50, 130, 40, 160, 100, 250)
SOON = {1: timedelta(days=10), 4: timedelta(days=20)}  # grant index -> expires in
PENDING = {12: timedelta(days=7)}  # grant index -> available in
SPEND_AFTER = {3: 40, 6: 30, 9: 50, 11: 25, 14: 35}  # after grant index -> points spent


@dataclass
class SpendRun:
    spends: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.spends / self.seconds


# --- setup and teardown ---------------------------------------------------------------


async def seed(bench_url: str, rules: LedgerRules) -> list[int]:
    """1,000 users of 20 entries each; their account ids, in user order."""
    await apply_migrations(bench_url)
    async with open_database(bench_url, pool_size=SPEND_POOL):
        numbers = iter(range(USERS))
        account_ids: dict[int, int] = {}

        async def worker() -> None:
            for number in numbers:
                account_ids[number] = await seed_user(number, rules)

        await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))
    return [account_ids[number] for number in range(USERS)]


async def seed_user(number: int, rules: LedgerRules) -> int:
    account = await open_account(user_id_of(number), nickname=f"Bench User {number:04d}")
    now = clock.now()
    for index, amount in enumerate(GRANTS):
        soon = SOON.get(index)
        pending = PENDING.get(index)
        await entries.earn(
            account.id,
            amount,
            LedgerRequest(actor=SHOP, idempotency_key=f"grant-{index}", reason="order reward"),
            rules,
            expires_at=now + soon if soon else None,
            available_at=now + pending if pending else None,
        )
        spent = SPEND_AFTER.get(index)
        if spent:
            await entries.spend(
                account.id,
                spent,
                LedgerRequest(
                    actor=SHOP,
                    idempotency_key=f"spend-{index}",
                    reason="redemption",
                    reference=f"order-{number}-{index}",
                ),
            )
    account_id: int = account.id
    return account_id


def user_id_of(number: int) -> str:
    return f"bench-user-{number:04d}"


# --- the me query over HTTP -----------------------------------------------------------


def write_tokens(settings: Settings, directory: Path) -> Path:
    """The Lua file me.lua loads: the request body and 200 user tokens."""
    tokens = [
        issue_token(settings, user_id_of(number), [Role.USER], timedelta(hours=2))
        for number in range(TOKENS)
    ]
    return write_requests(directory / "tokens.lua", ME_BODY, tokens)


def verify_me(tokens: Sequence[str]) -> None:
    """Each token's `me` answers 200 with data, no errors, and a full first ledger page."""
    with httpx.Client(base_url=base_url(PORT), timeout=10) as client:
        for token in tokens:
            response = client.post(
                "/graphql",
                content=ME_BODY,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            if response.status_code != 200:
                raise BenchError(f"me answered {response.status_code}: {response.text[:500]}")
            result = response.json()
            me = (result.get("data") or {}).get("me")
            if result.get("errors") or not me:
                raise BenchError(f"me answered errors: {response.text[:500]}")
            points = me["points"]
            if len(me["ledger"]["edges"]) != 10 or not me["ledger"]["pageInfo"]["hasNextPage"]:
                raise BenchError(f"me's ledger page is not a full page: {response.text[:500]}")
            if not points["expiringSoon"] or points["nextExpiry"] is None or not points["pending"]:
                raise BenchError(f"me's points are not as seeded: {points}")


def bench_me(workers: int, env: dict[str, str], tokens_file: Path, log_path: Path) -> Row:
    label = f"me query, {CLIENTS} clients, {workers_label(workers)}"
    print(f"{label}: starting the server", flush=True)
    tokens = read_tokens(tokens_file)
    with server(PORT, workers, env, log_path):
        verify_me(tokens)
        runs = wrk_runs(PORT, tokens_file)
        verify_me(tokens[:5])  # still answering correctly after the load
    return wrk_row(label, runs)


# --- spends at the domain layer -------------------------------------------------------


async def timed_spends(jobs: Sequence[tuple[int, int]], prefix: str) -> SpendRun:
    """Run the (account id, amount) spends on 50 tasks; each with its own idempotency key."""
    pending = iter(enumerate(jobs))
    run = SpendRun(spends=len(jobs), seconds=0.0)

    async def worker() -> None:
        for number, (account_id, amount) in pending:
            request = LedgerRequest(actor=SHOP, idempotency_key=f"{prefix}-{number}")
            began = time.perf_counter()
            try:
                await entries.spend(account_id, amount, request)
            except Exception as error:
                run.failures[type(error).__name__] += 1
                continue
            run.latencies_ms.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(SPEND_TASKS)))
    run.seconds = time.perf_counter() - began
    return run


def spend_row(label: str, runs: Sequence[SpendRun]) -> Row:
    return Row(
        label=label,
        rate=statistics.median(run.per_second for run in runs),
        unit="spends/s",
        p50_ms=statistics.median(statistics.median(run.latencies_ms) for run in runs),
        p99_ms=statistics.median(nearest_rank(run.latencies_ms, 0.99) for run in runs),
    )


def report_spend_run(number: int, run: SpendRun) -> None:
    failures = f"  FAILED {dict(run.failures)}" if run.failures else ""
    print(
        f"  run {number + 1}: {run.per_second:8.1f} spends/s  "
        f"p50 {statistics.median(run.latencies_ms):6.2f} ms  "
        f"p99 {nearest_rank(run.latencies_ms, 0.99):7.2f} ms{failures}",
        flush=True,
    )


async def bench_spends(bench_url: str, account_ids: Sequence[int], rules: LedgerRules) -> list[Row]:
    async with open_database(bench_url, pool_size=SPEND_POOL):
        label = f"spend, {SPEND_TASKS} tasks, distinct users"
        print(label, flush=True)
        distinct: list[SpendRun] = []
        for number in range(SPEND_RUNS):
            # seeded balances cover every run; user n, n+1000 are never spent on together
            jobs = [
                (account_ids[n % len(account_ids)], DISTINCT_AMOUNT) for n in range(DISTINCT_SPENDS)
            ]
            distinct.append(await timed_spends(jobs, f"distinct-{number}"))
            report_spend_run(number, distinct[-1])

        hot_label = f"spend, {SPEND_TASKS} tasks, one hot user"
        print(hot_label, flush=True)
        hot = await open_account("bench-hot-user", nickname="Hot")
        hot_runs: list[SpendRun] = []
        for number in range(SPEND_RUNS):
            await entries.earn(
                hot.id,
                HOT_SPENDS * HOT_AMOUNT,
                LedgerRequest(actor=SHOP, idempotency_key=f"fund-{number}", reason="bench"),
                rules,
            )
            hot_runs.append(
                await timed_spends([(hot.id, HOT_AMOUNT)] * HOT_SPENDS, f"hot-{number}")
            )
            report_spend_run(number, hot_runs[-1])
            left = (await Account.get(id=hot.id)).ledger_balance
            if left != 0 and not hot_runs[-1].failures:
                raise BenchError(f"the hot account kept {left} points after spending them all")

        audit = await audit_ledger()
        print(f"ledger audit after the spends: {'clean' if audit.clean else 'DRIFT'}", flush=True)
        for drift in audit.drift:
            print(f"  drift {drift.check}: {drift.subject}", flush=True)
    return [spend_row(label, distinct), spend_row(hot_label, hot_runs)]


# --- the whole run --------------------------------------------------------------------


def table(rows: Sequence[Row], postgres: str, redis: str, cores: int, pool: int) -> str:
    lines = [
        f"pointsmall ledger benchmark  (PostgreSQL {postgres}, Redis {redis}, {cores} cores; "
        f"medians of {WRK_RUNS} wrk runs / {SPEND_RUNS} spend runs; "
        f"server pool {pool}, spend pool {SPEND_POOL})"
    ]
    return "\n".join(lines + format_rows(rows))


def main() -> int:
    if wrk_missing():
        return 2
    started = time.perf_counter()
    admin_url, redis_url, bench_url, env = bench_target(BENCH_DATABASE, DEFAULT_REDIS_URL)
    settings = Settings.from_env(env)
    rules = ledger_rules(settings)
    cores = os.cpu_count() or 1
    rows: list[Row] = []
    try:
        postgres = asyncio.run(recreate_database(admin_url, BENCH_DATABASE))
        redis = asyncio.run(clear_redis(redis_url))
        print(f"seeding {USERS:,} users x {len(GRANTS) + len(SPEND_AFTER)} entries", flush=True)
        seeding = time.perf_counter()
        account_ids = asyncio.run(seed(bench_url, rules))
        print(f"seeded in {time.perf_counter() - seeding:.1f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="pointsmall-bench-") as directory:
            tokens_file = write_tokens(settings, Path(directory))
            for workers in (1, 2) if cores >= 2 else (1,):
                log_path = Path(directory) / f"server-{workers}.log"
                rows.append(bench_me(workers, env, tokens_file, log_path))
        rows += asyncio.run(bench_spends(bench_url, account_ids, rules))
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(drop_database(admin_url, BENCH_DATABASE))
        asyncio.run(clear_redis(redis_url))
    print()
    print(table(rows, postgres, redis, cores, settings.database_pool_size))
    print(f"total run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
