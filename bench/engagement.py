"""Engagement benchmark on PostgreSQL + Redis: check-ins, orders and a million-user leaderboard.

Run from the repository root (PostgreSQL, Redis and wrk must be running / installed):

    .venv/bin/python bench/engagement.py

It creates a fresh database `pointsmall_bench_engagement` next to the admin database of
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropping it first
if present and again at the end, and uses Redis database BENCH_REDIS_URL (default
redis://127.0.0.1:6379/12), deleting only the server's `pointsmall:*` keys. It opens 5,000
accounts per server configuration and 100 "top earner" accounts, and sets the earning
rates of two categories. Against `pointsmall serve` on port 8097, with 1 worker and (on 2+
cores) 2 workers, it measures over 100 keep-alive connections of the minimal HTTP/1.1
client of bench/common.py (`Connection`), opened, and the server warmed, by 200 small
queries first (`me { id }` with the users' tokens, `__typename` with the service's):

1. `checkIn`: each of the configuration's 5,000 users checks in once with their own token;
   check-ins per second over the wall time, p50/p99 latency, outcomes; the database must
   then hold 5,000 check-ins of those users. Then the same users again, the same day, with
   new idempotency keys: every one must be refused with ALREADY_CHECKED_IN;
2. `recordOrder` with a service token: 5,000 orders of 2 lines (one category of each pair
   has a configured rate, the other earns the default) over the first 1,000 users; then a
   replay of the first 1,000 orders with the same inputs, which must answer the same
   points and change nothing (orders, and the ledger entries they made, counted before and
   after);
3. `leaderboard(period: ALL_TIME, first: 20)` with `me`: the ALL_TIME board is filled
   directly in Redis with 1,000,000 members (pipelined ZADD in batches): the top 100 are
   the top earners' accounts, 200 users of the first configuration sit in the middle, the
   rest are account ids without an account row. wrk with bench/me.lua at 50 connections,
   rotating those 200 users' tokens: a 3 s warm-up, then 5 runs of 5 s; medians of the
   runs. Once, with the server idle, the raw Redis cost from Python (redis-py, as the
   server uses it): 1,000 calls each of ZREVRANGE 0 19 WITHSCORES, of ZREVRANK, and of the
   two in turn; their medians and p99 in microseconds are in the notes.

The server runs with the development JWT secret and its default pool (DATABASE_POOL_SIZE
is passed through). This prints figures; it asserts nothing about them, but exits 1 when
an outcome or a count in the database is not the expected one. A run that crosses
midnight UTC between the two check-in rounds would see the second round accepted.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import uvloop
from redis.asyncio import Redis

from common import (
    CLIENTS,
    WRK_RUNS,
    BenchError,
    Connection,
    Row,
    asyncpg_url,
    base_url,
    bench_target,
    clear_redis,
    drop_database,
    format_rows,
    nearest_rank,
    post_request,
    recreate_database,
    server,
    tail,
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
from pointsmall.domain.engagement.leaderboards import Period, board_key, fraction
from pointsmall.domain.engagement.orders import set_earning_rate
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.redis_client import redis_for

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
BENCH_DATABASE = "pointsmall_bench_engagement"
PORT = 8097

HTTP_CLIENTS = 100  # the check-in and order rounds' connections
WARM_UP_QUERIES = 2 * HTTP_CLIENTS
USERS = 5_000  # per server configuration: each checks in once
SEED_CONCURRENCY = 50
SEED_POOL = 20

ORDERS = 5_000
ORDER_USERS = 1_000  # the configuration's first users
REPLAYED = 1_000
# (category, rate in percent); each order has a line of each pair, by its number
RATES = (("coffee", 5.0), ("electronics", 0.5))
FIRST_LINE = ("coffee", "books")  # configured, default
SECOND_LINE = ("home", "electronics")  # default, configured

BOARD_MEMBERS = 1_000_000
TOP_EARNERS = 100  # real accounts with nicknames: the top 100 scores
BOARD_USERS = 200  # real accounts ranked in the middle: wrk asks as these
ABSENT_IDS = 100_000_000  # members from here on have no account row
ZADD_BATCH = 10_000
ZADD_BATCHES_PER_PIPELINE = 10
REDIS_CALLS = 1_000

CHECK_IN = (
    "mutation($k: String!) { checkIn(input: {idempotencyKey: $k}) { "
    "checkIn { streak reward } errors { code } } }"
)
RECORD_ORDER = (
    "mutation($input: RecordOrderInput!) { recordOrder(input: $input) { "
    "order { points } errors { code } } }"
)
LEADERBOARD = (
    "query { leaderboard(period: ALL_TIME, first: 20) { "
    "entries { rank nickname points } me { rank points } } }"
)
LEADERBOARD_BODY = json.dumps({"query": LEADERBOARD})
# open the connections and warm the server; without Redis: 100 Redis commands at once in one
# process exceed redis-py's default pool of 100 connections (the broker's reader holds one),
# and the 100th fails with "Too many connections" (an INTERNAL error)
WARM_UP_USER = json.dumps({"query": "query { me { id } }"})  # the token, an account read
WARM_UP_SERVICE = json.dumps({"query": "query { __typename }"})  # the token


@dataclass(frozen=True)
class Call:
    outcome: str  # OK, else the error code (or HTTP status, GraphQL error, socket error)
    value: int | None  # the check-in's reward, the order's points
    latency_ms: float


@dataclass(frozen=True)
class Round:
    calls: list[Call]
    seconds: float
    client_cpu_seconds: float

    @property
    def rate(self) -> float:
        return len(self.calls) / self.seconds

    def latencies(self) -> list[float]:
        return [call.latency_ms for call in self.calls]

    def outcomes(self) -> str:
        counts = Counter(call.outcome for call in self.calls)
        return ", ".join(f"{outcome} {count:,}" for outcome, count in counts.most_common())

    def count(self, outcome: str) -> int:
        return sum(call.outcome == outcome for call in self.calls)


@dataclass(frozen=True)
class Board:
    """The ALL_TIME board's fill: who is where."""

    top_ids: list[int]  # by rank
    user_ids: list[int]  # the 200 users ranked in the middle
    scores: dict[int, float]  # of the real accounts
    descending: list[float]  # every score, negated and sorted: for the expected ranks


# --- seeding --------------------------------------------------------------------------


def user_id_of(workers: int, number: int) -> str:
    return f"bench-w{workers}-user-{number:04d}"


def top_user_id(number: int) -> str:
    return f"bench-top-{number:03d}"


async def in_parallel(jobs: Iterable[Callable[[], Awaitable[None]]]) -> None:
    pending = iter(jobs)

    async def worker() -> None:
        for job in pending:
            await job()

    await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))


async def seed(bench_url: str, worker_counts: Sequence[int]) -> dict[str, int]:
    """The accounts and the earning rates; account ids by user id."""
    await apply_migrations(bench_url)
    account_ids: dict[str, int] = {}
    async with open_database(bench_url, pool_size=SEED_POOL):

        async def open_one(user_id: str, nickname: str) -> None:
            account_ids[user_id] = (await open_account(user_id, nickname=nickname)).id

        users = [
            (user_id_of(workers, number), f"Bench {workers}w User {number:04d}")
            for workers in worker_counts
            for number in range(USERS)
        ]
        users += [(top_user_id(n), f"Top Earner {n + 1:03d}") for n in range(TOP_EARNERS)]
        await in_parallel(partial(open_one, user_id, nickname) for user_id, nickname in users)
        for category, rate in RATES:
            await set_earning_rate(category, rate)
    return account_ids


# --- the HTTP rounds ------------------------------------------------------------------


def outcome_of(mutation: str, status: int, body: bytes) -> tuple[str, int | None]:
    """("OK", the reward or points) or (the error, None)."""
    if status != 200:
        return f"HTTP {status}", None
    result = json.loads(body)
    if result.get("errors"):
        return "GRAPHQL " + str(result["errors"][0].get("extensions", {}).get("code")), None
    payload = result["data"][mutation]
    if payload["errors"]:
        return str(payload["errors"][0]["code"]), None
    if mutation == "checkIn":
        done = payload["checkIn"]
        return ("OK" if done["streak"] == 1 else f"OK streak {done['streak']}"), done["reward"]
    return "OK", int(payload["order"]["points"])


async def run_round(
    mutation: str, requests: Sequence[bytes], warm_up_tokens: Sequence[str], warm_up_body: str
) -> Round:
    """The requests over HTTP_CLIENTS connections, warmed first; results in request order."""
    connections = [Connection(PORT) for _ in range(HTTP_CLIENTS)]
    try:
        warm_ups = iter(range(WARM_UP_QUERIES))

        async def warm_up(connection: Connection) -> None:
            for number in warm_ups:
                token = warm_up_tokens[number % len(warm_up_tokens)]
                request = post_request(PORT, "/graphql", token, warm_up_body)
                status, body = await connection.exchange(request)
                if status != 200 or "errors" in json.loads(body):
                    raise BenchError(f"the warm-up query failed ({status}): {body[:500]!r}")

        await asyncio.gather(*(warm_up(connection) for connection in connections))
        pending = iter(enumerate(requests))
        calls: list[Call | None] = [None] * len(requests)

        async def worker(connection: Connection) -> None:
            for index, request in pending:
                began = time.perf_counter()
                try:
                    outcome, value = outcome_of(mutation, *await connection.exchange(request))
                except (OSError, asyncio.IncompleteReadError) as error:
                    outcome, value = type(error).__name__, None
                calls[index] = Call(outcome, value, (time.perf_counter() - began) * 1000)

        cpu = time.process_time()
        began = time.perf_counter()
        await asyncio.gather(*(worker(connection) for connection in connections))
        seconds = time.perf_counter() - began
        cpu = time.process_time() - cpu
    finally:
        for connection in connections:
            connection.close()
    return Round([call for call in calls if call is not None], seconds, cpu)


def round_row(label: str, unit: str, done: Round, note: str) -> Row:
    share = done.client_cpu_seconds / done.seconds
    print(
        f"  {len(done.calls):,} in {done.seconds:.2f} s: {done.rate:.1f} {unit}, "
        f"p50 {statistics.median(done.latencies()):.1f} ms, "
        f"p99 {nearest_rank(done.latencies(), 0.99):.1f} ms; {done.outcomes()}; "
        f"client CPU {share:.0%}; {note}",
        flush=True,
    )
    return Row(
        label=label,
        rate=done.rate,
        unit=unit,
        p50_ms=statistics.median(done.latencies()),
        p99_ms=nearest_rank(done.latencies(), 0.99),
        note=f"{done.outcomes()}; {note}; client CPU {share:.0%}",
    )


async def fetch_one(bench_url: str, query: str, *args: object) -> asyncpg.Record:
    connection = await asyncpg.connect(asyncpg_url(bench_url))
    try:
        return await connection.fetchrow(query, *args)
    finally:
        await connection.close()


async def check_ins_in_database(bench_url: str, workers: int) -> int:
    row = await fetch_one(
        bench_url,
        "SELECT count(*) FROM engagement_check_in c JOIN account a ON a.id = c.account_id "
        "WHERE a.user_id LIKE $1",
        f"bench-w{workers}-user-%",
    )
    return int(row[0])


@dataclass(frozen=True)
class OrderCounts:
    orders: int
    order_points: int
    entries: int
    entry_points: int

    def __str__(self) -> str:
        return (
            f"{self.orders:,} orders ({self.order_points:,} points), "
            f"{self.entries:,} ledger entries ({self.entry_points:,} points)"
        )


async def orders_in_database(bench_url: str, workers: int) -> OrderCounts:
    orders = await fetch_one(
        bench_url,
        "SELECT count(*), coalesce(sum(points), 0) FROM engagement_order WHERE order_id LIKE $1",
        f"bench-w{workers}-order-%",
    )
    entries = await fetch_one(
        bench_url,
        "SELECT count(*), coalesce(sum(amount), 0) FROM ledger_entry WHERE reference LIKE $1",
        f"order:bench-w{workers}-order-%",
    )
    return OrderCounts(int(orders[0]), int(orders[1]), int(entries[0]), int(entries[1]))


def check_in_requests(workers: int, tokens: Sequence[str], round_name: str) -> list[bytes]:
    return [
        post_request(
            PORT,
            "/graphql",
            token,
            json.dumps(
                {"query": CHECK_IN, "variables": {"k": f"check-in-{round_name}-{workers}-{n}"}}
            ),
        )
        for n, token in enumerate(tokens)
    ]


def bench_check_ins(
    workers: int, tokens: Sequence[str], bench_url: str, first_reward: int
) -> tuple[list[Row], list[str]]:
    label = f"checkIn, {HTTP_CLIENTS} clients, {workers_label(workers)}"
    print(f"{label}: {USERS:,} users check in once", flush=True)
    first = uvloop.run(
        run_round("checkIn", check_in_requests(workers, tokens, "1"), tokens, WARM_UP_USER)
    )
    stored = asyncio.run(check_ins_in_database(bench_url, workers))
    rows = [round_row(label, "check-ins/s", first, f"{stored:,} rows in engagement_check_in")]
    problems = []
    rewards = Counter(call.value for call in first.calls if call.outcome == "OK")
    if first.count("OK") != USERS or stored != USERS or set(rewards) != {first_reward}:
        problems.append(
            f"{label}: {first.outcomes()}, rewards {dict(rewards)}, {stored:,} check-ins "
            f"stored (expected OK {USERS:,} of {first_reward} points, {USERS:,} stored)"
        )

    again_label = "  checkIn again, same day"
    print(f"{again_label}: the same users, new idempotency keys", flush=True)
    again = uvloop.run(
        run_round("checkIn", check_in_requests(workers, tokens, "2"), tokens, WARM_UP_USER)
    )
    stored = asyncio.run(check_ins_in_database(bench_url, workers))
    rows.append(round_row(again_label, "check-ins/s", again, f"still {stored:,} rows"))
    if again.count("ALREADY_CHECKED_IN") != USERS or stored != USERS:
        problems.append(
            f"{label} again: {again.outcomes()}, {stored:,} check-ins stored "
            f"(expected ALREADY_CHECKED_IN {USERS:,}, {USERS:,} stored)"
        )
    return rows, problems


def order_input(workers: int, number: int, paid_at: datetime) -> dict[str, object]:
    """Order `number`: 2 lines, one of a configured rate, one of the default."""
    return {
        "orderId": f"bench-w{workers}-order-{number:05d}",
        "userId": user_id_of(workers, number % ORDER_USERS),
        "paidAt": (paid_at - timedelta(seconds=number)).isoformat(),
        "lines": [
            {
                "sku": f"sku-{number % 97:03d}",
                "category": FIRST_LINE[number % 2],
                "amount": 1_999 + 37 * (number % 211),
                "currency": "USD",
            },
            {
                "sku": f"sku-{100 + number % 89:03d}",
                "category": SECOND_LINE[(number // 2) % 2],
                "amount": 4_500 + 113 * (number % 173),
                "currency": "USD",
            },
        ],
    }


def bench_orders(
    workers: int, service_token: str, bench_url: str, currency: str
) -> tuple[list[Row], list[str]]:
    label = f"recordOrder, {HTTP_CLIENTS} clients, {workers_label(workers)}"
    print(f"{label}: {ORDERS:,} orders over {ORDER_USERS:,} users", flush=True)
    if currency != "USD":
        raise BenchError(f"the bench's orders are in USD, the server's currency is {currency}")
    paid_at = clock.now() - timedelta(hours=2)
    inputs = [order_input(workers, number, paid_at) for number in range(ORDERS)]
    requests = [
        post_request(
            PORT, "/graphql", service_token, json.dumps({"query": RECORD_ORDER, "variables": v})
        )
        for v in ({"input": order} for order in inputs)
    ]
    first = uvloop.run(run_round("recordOrder", requests, [service_token], WARM_UP_SERVICE))
    before = asyncio.run(orders_in_database(bench_url, workers))
    rows = [round_row(label, "orders/s", first, str(before))]
    problems = []
    points = sum(call.value or 0 for call in first.calls)
    if (
        first.count("OK") != ORDERS
        or before.orders != ORDERS
        or before.order_points != points
        or before.entries != ORDERS
        or before.entry_points != points
    ):
        problems.append(
            f"{label}: {first.outcomes()} ({points:,} points answered); in the database "
            f"{before} (expected {ORDERS:,} of each)"
        )

    replay_label = f"  recordOrder replay of {REPLAYED:,}"
    print(f"{replay_label}: the same inputs again", flush=True)
    replay = uvloop.run(
        run_round("recordOrder", requests[:REPLAYED], [service_token], WARM_UP_SERVICE)
    )
    after = asyncio.run(orders_in_database(bench_url, workers))
    same = sum(
        call.outcome == "OK" and call.value == earlier.value
        for call, earlier in zip(replay.calls, first.calls, strict=False)
    )
    rows.append(
        round_row(replay_label, "orders/s", replay, f"{same:,} same points; database unchanged")
        if after == before
        else round_row(replay_label, "orders/s", replay, f"CHANGED: {after}")
    )
    if same != REPLAYED or after != before:
        problems.append(
            f"{replay_label.strip()}: {replay.outcomes()}, {same:,} with the same points; "
            f"database before {before}, after {after}"
        )
    return rows, problems


# --- the leaderboard ------------------------------------------------------------------


def board_scores(
    top_ids: Sequence[int], user_ids: Sequence[int], now: datetime
) -> tuple[dict[str, float], dict[int, float]]:
    """1,000,000 members' scores (points + fraction), and those of the real accounts.

    The others have 0-99,999 points; the 200 users 45,000-54,950 (the middle); the top
    earners 200,000 and more. Each reached its total at some second of the last year.
    """
    randoms = random.Random(12)

    def score(points: int) -> float:
        return points + fraction(now - timedelta(seconds=randoms.randrange(365 * 86_400)))

    real: dict[int, float] = {}
    for rank, account_id in enumerate(top_ids):
        real[account_id] = score(200_000 + 1_000 * (TOP_EARNERS - rank))
    for number, account_id in enumerate(user_ids):
        real[account_id] = score(45_000 + 50 * number)
    members = {str(account_id): value for account_id, value in real.items()}
    for number in range(BOARD_MEMBERS - len(real)):
        members[str(ABSENT_IDS + number)] = score(randoms.randrange(100_000))
    return members, real


async def fill_board(redis_url: str, key: str, members: dict[str, float]) -> int:
    """Replace the board with `members`: pipelined ZADD of ZADD_BATCH; the board's size."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await redis.unlink(key)
        items = list(members.items())
        batches = [
            dict(items[start : start + ZADD_BATCH]) for start in range(0, len(items), ZADD_BATCH)
        ]
        for start in range(0, len(batches), ZADD_BATCHES_PER_PIPELINE):
            async with redis.pipeline(transaction=False) as pipe:
                for batch in batches[start : start + ZADD_BATCHES_PER_PIPELINE]:
                    pipe.zadd(key, batch)
                await pipe.execute()
        return int(await redis.zcard(key))
    finally:
        await redis.aclose()


def prepare_board(account_ids: dict[str, int], now: datetime) -> tuple[Board, dict[str, float]]:
    """Who goes where on the board, and every member's score."""
    top_ids = [account_ids[top_user_id(n)] for n in range(TOP_EARNERS)]
    user_ids = [account_ids[user_id_of(1, n)] for n in range(BOARD_USERS)]
    return plan_board(top_ids, user_ids, now)


def plan_board(
    top_ids: Sequence[int], user_ids: Sequence[int], now: datetime
) -> tuple[Board, dict[str, float]]:
    """The board of `board_scores`, and every member's score."""
    members, real = board_scores(top_ids, user_ids, now)
    descending = sorted(-value for value in members.values())
    return Board(list(top_ids), list(user_ids), real, descending), members


def load_board(redis_url: str, key: str, members: dict[str, float]) -> None:
    began = time.perf_counter()
    size = asyncio.run(fill_board(redis_url, key, members))
    print(
        f"  filled {key} with {size:,} members in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    if size != BOARD_MEMBERS:
        raise BenchError(f"the board holds {size:,} members, not {BOARD_MEMBERS:,}")


def expected_rank(board: Board, account_id: int) -> int:
    return bisect.bisect_left(board.descending, -board.scores[account_id]) + 1


def verify_board(
    board: Board, tokens: Sequence[str], nicknames: dict[int, str], port: int = PORT
) -> str:
    """Each answer: 200, no errors, the top 20 as filled, `me` where its user was put."""
    shown = ""
    top = [
        (rank, nicknames[account_id], int(board.scores[account_id]))
        for rank, account_id in enumerate(board.top_ids[:20], 1)
    ]
    with httpx.Client(base_url=base_url(port), timeout=10) as client:
        for token, account_id in zip(tokens, board.user_ids[: len(tokens)], strict=True):
            response = client.post(
                "/graphql",
                content=LEADERBOARD_BODY,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            if response.status_code != 200:
                raise BenchError(f"leaderboard answered {response.status_code}: {response.text}")
            result = response.json()
            answer = (result.get("data") or {}).get("leaderboard")
            if result.get("errors") or not answer:
                raise BenchError(f"leaderboard answered errors: {response.text[:500]}")
            entries = [(e["rank"], e["nickname"], e["points"]) for e in answer["entries"]]
            if entries != top:
                raise BenchError(f"the top 20 are not as filled: {entries[:3]}... {top[:3]}...")
            me = answer["me"]
            rank = expected_rank(board, account_id)
            points = int(board.scores[account_id])
            if me != {"rank": rank, "points": points}:
                raise BenchError(f"me is {me}, expected rank {rank:,} with {points:,} points")
            if not shown:
                shown = f"#1 {entries[0][1]} {entries[0][2]:,} points; me #{rank:,}"
    return shown


@dataclass(frozen=True)
class Timings:
    label: str
    microseconds: list[float]
    seconds: float


async def redis_costs(redis_url: str, key: str, members: Sequence[str]) -> list[Timings]:
    """REDIS_CALLS sequential calls of each, through the server's own client settings."""
    redis = redis_for(redis_url)
    try:
        await redis.ping()

        async def top() -> None:
            await redis.zrevrange(key, 0, 19, withscores=True)

        async def rank(member: str) -> None:
            await redis.zrevrank(key, member)

        async def both(member: str) -> None:
            await redis.zrevrange(key, 0, 19, withscores=True)
            await redis.zrevrank(key, member)

        calls: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
            ("ZREVRANGE 0 19 WITHSCORES", lambda _: top()),
            ("ZREVRANK", lambda n: rank(members[n % len(members)])),
            ("ZREVRANGE + ZREVRANK", lambda n: both(members[n % len(members)])),
        ]
        timings = []
        for label, call in calls:
            for n in range(100):  # warm
                await call(n)
            spent: list[float] = []
            began = time.perf_counter()
            for n in range(REDIS_CALLS):
                start = time.perf_counter()
                await call(n)
                spent.append((time.perf_counter() - start) * 1_000_000)
            timings.append(Timings(label, spent, time.perf_counter() - began))
        return timings
    finally:
        await redis.aclose()


def redis_rows(timings: Sequence[Timings]) -> list[Row]:
    rows = []
    for timing in timings:
        p50 = statistics.median(timing.microseconds)
        p99 = nearest_rank(timing.microseconds, 0.99)
        print(f"  redis {timing.label}: p50 {p50:.0f} us, p99 {p99:.0f} us", flush=True)
        rows.append(
            Row(
                label=f"redis {timing.label}, 1 client",
                rate=len(timing.microseconds) / timing.seconds,
                unit="calls/s",
                p50_ms=p50 / 1000,
                p99_ms=p99 / 1000,
                note=f"p50 {p50:.0f} us, p99 {p99:.0f} us; {BOARD_MEMBERS:,} members",
            )
        )
    return rows


def bench_leaderboard(
    workers: int,
    requests_file: Path,
    tokens: Sequence[str],
    board: Board,
    nicknames: dict[int, str],
) -> Row:
    label = f"leaderboard ALL_TIME first 20 + me, {CLIENTS} clients, {workers_label(workers)}"
    print(f"{label}: {verify_board(board, tokens, nicknames)}", flush=True)
    runs = wrk_runs(PORT, requests_file)
    verify_board(board, tokens[:5], nicknames)  # still answering correctly after the load
    return wrk_row(label, runs)


# --- the whole run --------------------------------------------------------------------


async def audit(bench_url: str) -> list[str]:
    async with open_database(bench_url, pool_size=4):
        report = await audit_ledger()
    return [f"ledger audit: {drift.check} {drift.subject}" for drift in report.drift]


def table(rows: Sequence[Row], postgres: str, redis: str, cores: int, pool: int) -> str:
    lines = [
        f"pointsmall engagement benchmark  (PostgreSQL {postgres}, Redis {redis}, {cores} cores; "
        f"{HTTP_CLIENTS} clients for mutations; leaderboard: {BOARD_MEMBERS:,} members, "
        f"medians of {WRK_RUNS} wrk runs; server pool {pool})"
    ]
    return "\n".join(lines + format_rows(rows))


def main() -> int:
    if wrk_missing():
        return 2
    started = time.perf_counter()
    admin_url, redis_url, bench_url, env = bench_target(BENCH_DATABASE, DEFAULT_REDIS_URL)
    settings = Settings.from_env(env)
    zone: ZoneInfo = settings.zone
    cores = os.cpu_count() or 1
    worker_counts = (1, 2) if cores >= 2 else (1,)
    rows: list[Row] = []
    problems: list[str] = []
    try:
        postgres = asyncio.run(recreate_database(admin_url, BENCH_DATABASE))
        redis = asyncio.run(clear_redis(redis_url))
        print(
            f"seeding {USERS * len(worker_counts) + TOP_EARNERS:,} accounts "
            f"and {len(RATES)} earning rates",
            flush=True,
        )
        seeding = time.perf_counter()
        account_ids = asyncio.run(seed(bench_url, worker_counts))
        print(f"seeded in {time.perf_counter() - seeding:.1f} s", flush=True)
        ttl = timedelta(hours=2)
        tokens = {
            workers: [
                issue_token(settings, user_id_of(workers, n), [Role.USER], ttl)
                for n in range(USERS)
            ]
            for workers in worker_counts
        }
        service_token = issue_token(settings, "shop-backend", [Role.SERVICE], ttl)
        now = clock.now()
        key = board_key(Period.ALL_TIME, now, zone)
        board, members = prepare_board(account_ids, now)
        nicknames = {account_ids[top_user_id(n)]: f"Top Earner {n + 1:03d}" for n in range(20)}
        board_tokens = tokens[1][:BOARD_USERS]
        redis_figures: list[Row] = []
        with tempfile.TemporaryDirectory(prefix="pointsmall-bench-engagement-") as directory:
            requests_file = write_requests(
                Path(directory) / "leaderboard.lua", LEADERBOARD_BODY, board_tokens
            )
            for workers in worker_counts:
                log_path = Path(directory) / f"server-{workers}.log"
                print(f"starting the server with {workers_label(workers)}", flush=True)
                with server(PORT, workers, env, log_path):
                    try:
                        found_rows, found = bench_check_ins(
                            workers, tokens[workers], bench_url, settings.check_in_rewards[0]
                        )
                        rows += found_rows
                        problems += found
                        found_rows, found = bench_orders(
                            workers, service_token, bench_url, settings.currency
                        )
                        rows += found_rows
                        problems += found
                        # the rounds moved real accounts' scores: the board is filled afresh
                        load_board(redis_url, key, members)
                        if not redis_figures:
                            timings = asyncio.run(
                                redis_costs(redis_url, key, [str(i) for i in board.user_ids])
                            )
                            redis_figures = redis_rows(timings)
                        rows.append(
                            bench_leaderboard(
                                workers, requests_file, board_tokens, board, nicknames
                            )
                        )
                    except BenchError as error:
                        raise BenchError(f"{error}\nthe server's log:\n{tail(log_path)}") from None
        rows += redis_figures
        drift = asyncio.run(audit(bench_url))
        print(f"ledger audit after the rounds: {'DRIFT' if drift else 'clean'}", flush=True)
        problems += drift
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(drop_database(admin_url, BENCH_DATABASE))
        asyncio.run(clear_redis(redis_url))
    print()
    print(table(rows, postgres, redis, cores, settings.database_pool_size))
    print(f"total run time {time.perf_counter() - started:.0f} s")
    for problem in problems:
        print(f"PROBLEM {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
