"""Ratios benchmark: each path's rate as a share of the same server's `{ __typename }`.

Run from the repository root (PostgreSQL, Redis and wrk must be running / installed):

    .venv/bin/python bench/ratios.py [--quick] [--profile [DIR]]

One worker of `pointsmall serve` on PostgreSQL + Redis, and wrk (2 threads, 50
connections, bench/ratios.lua) unless said. Every path's rate is divided by the rate of
`{ __typename }` asked with users' tokens, measured in the same run, and set beside its
goal:

| path | goal |
|---|---|
| `{ __typename }` with a user's token: the ceiling | - |
| `me { points { balance pending } }`, 300 users rotating | >= 0.5x |
| the home query (`mall { cards { ... items { ... } } }`), unchanged data (warm) | >= 0.5x |
| the home query, server started with RESPONSE_CACHE=off (cold) | >= 0.8x static |
| the static app (bench/static_home.py): strawberry + Starlette, the same shape | reference |
| `leaderboard(ALL_TIME, first: 20) { entries me }`, 1,000,000 ranked members | >= 0.5x |
| flash sale: 5,000 `redeem` attempts by distinct users, stock 100, 200 clients | >= 0.7x |
| sold-out refusals: `redeem`, fresh keys, the sold-out item, users who did not buy | >= 0.7x |
| `checkIn` by users who have not checked in today | >= 0.3x |
| `recordOrder` of new orders | >= 0.3x |

It creates a fresh database `pointsmall_bench_ratios` next to the admin database of
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropping it first
if present and again at the end, and uses Redis database BENCH_REDIS_URL (default
redis://127.0.0.1:6379/10; the other benches use 11-14, the tests 15), deleting only the
server's `pointsmall:*` keys; ports 8095 (the server) and 8094 (the static app).

Seed (through the domain layer, bench/mall.py's pieces): 300 "home" users with 1,000
points, all with points expiring within 30 days (so all see 5 cards), two thirds with
profile tags, 400 redemptions this week (the HOT card); bench/mall.py's catalogue of 60
items of every kind and a flash item of stock 100 (two with --profile); 5,000 "sale"
users with 1,000 points; 100 top earners; the earning rates of two categories. Users for
`checkIn` are opened in bulk (one INSERT of many accounts) as the measurement needs them,
and each serves one request: ratios.lua takes each token once, so every measured
check-in is a user's first of the day. Orders get an id unique in the run (ratios.lua
puts a counter in the body) and go to the sale users in turn.

Each path's runs alternate with runs of its reference (the ceiling; the static app for
the cold home query): path, reference, path, reference... and its ratio is of the two
medians, so a machine busy with something else weighs on both sides alike (the notes
show how much CPU went to "others": neither the server, its PostgreSQL backends, Redis,
nor the client). The ceiling's row is the median of all its runs. In this order:
1. the server with RESPONSE_CACHE=off, and the static app serving the server's answer to
   the first user (uvicorn, 1 worker), side by side: the home query (cold) in turn with
   the static app;
2. the server as configured: the ceiling (a warm-up), `me`, the home query (warm), the
   leaderboard (filled after the server started, which rebuilt the boards from the
   ledger, as bench/engagement.py does), the flash sale between two runs of the ceiling
   (bench/mall.py's client: 200 keep-alive connections from this process; the database
   must then hold exactly 100 redemptions of the item and stock 0, else exit 1), the
   sold-out refusals, `checkIn`, `recordOrder`.

Each wrk path: one request first, checked (5 cards, 20 entries and `me` where the filler
put it, OUT_OF_STOCK, a first check-in, an order's points...), then a warm-up of 3 s and
5 runs (--quick: 1 s and 3 runs); medians of the runs' rate, p50 and p99. A run is a
ramp then 5 s (--quick: 2 s), and its rate counts the answers of the whole seconds after
the ramp (ratios.lua counts answers by second): wrk's own rate would count the start,
when the 50 connections all wait for their first answer together, and leave out the work
done on the 50 answers still on their way at the end, a bias of up to 50 answers a run
that only slow paths feel (the ramp: long enough for two answers a connection at the
warm-up's rate, 2-20 s). p50 and p99 are wrk's, over the whole run. ratios.lua checks
every answer (200, the path's marker, no GraphQL error): any other answer is counted in
the row and makes the run exit 1.

--profile [DIR]: after each path's runs, one more run (10 s; 5 s with --quick; a second
flash sale for the sale) under py-spy (100 Hz, --native, collapsed stacks into DIR,
default a new directory under /tmp, kept); the top 12 frames by own time and by
inclusive time are printed after the table. The profiled runs are not in the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvloop
from redis.asyncio import Redis

from common import (
    CLIENTS,
    CLOCK_TICKS,
    WRK_THREADS,
    BenchError,
    WrkRun,
    asyncpg_url,
    base_url,
    bench_target,
    clear_redis,
    cpu_seconds,
    drop_database,
    nearest_rank,
    profile_command,
    recreate_database,
    run_wrk,
    server,
    serving,
    summarise_profile,
    tail,
    worker_pid,
    wrk_missing,
)
from engagement import (
    LEADERBOARD,
    RATES,
    RECORD_ORDER,
    TOP_EARNERS,
    Board,
    load_board,
    order_input,
    plan_board,
    top_user_id,
    verify_board,
)
from mall import (
    FLASH_STOCK,
    FUND,
    REDEEM,
    SEED_POOL,
    fund_accounts,
    global_id,
    hot_candidate,
    hot_pick,
    in_parallel,
    prime_gates,
    sale_in_database,
    seed_catalogue,
    seed_expiring,
    seed_flash_items,
    seed_redemptions,
    seed_tags,
    user_id_of,
    verify_mall,
)
from mall import flash_sale as run_flash_sale
from pointsmall import clock
from pointsmall.auth import Role, issue_token
from pointsmall.config import Settings
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain.engagement.leaderboards import Period, board_key
from pointsmall.domain.engagement.orders import set_earning_rate
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account
from pointsmall.runtime import ledger_rules

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"
BENCH_DATABASE = "pointsmall_bench_ratios"
PORT = 8095
STATIC_PORT = 8094
HERE = Path(__file__).resolve().parent
RATIOS_LUA = HERE / "ratios.lua"
STATIC_APP = HERE / "static_home.py"

HOME_USERS = 300  # bench-user-0000..0299: me, home, leaderboard, the ceiling
SALE_USERS = 5_000  # bench-user-0300..5299: the sale, refusals, orders
TWICE = 100  # home users redeeming a second time
NEW_USER = "ratios-new-{:06d}"  # checkIn users, opened as needed
TOKEN_TTL = timedelta(hours=3)
WRK_TIMEOUT = 10  # seconds: wrk's default of 2 would drop slow answers from the figures
POOL_MARGIN = 1.5  # tokens in hand: the rate expected (the last seen) x seconds x this
MAX_RAMP = 20  # seconds
SALE_SEED = 7

HOME_QUERY = (
    "{ mall { cards { kind title subtitle items { id title pricePoints remainingStock "
    "limited onSale affordable pointsShort quotaLeft saleStartsAt kind category } } } }"
)
CHECK_IN = (
    "mutation($k: String!) { checkIn(input: {idempotencyKey: $k}) { "
    "checkIn { streak reward } errors { code } } }"
)


def body_of(query: str, variables: dict[str, Any] | None = None) -> str:
    return json.dumps({"query": query, **({"variables": variables} if variables else {})})


@dataclass(frozen=True)
class Plan:
    warm_up: int
    seconds: int
    runs: int
    profile_seconds: int


NORMAL = Plan(warm_up=3, seconds=5, runs=5, profile_seconds=10)
QUICK = Plan(warm_up=1, seconds=2, runs=3, profile_seconds=5)


@dataclass(frozen=True)
class Target:
    """A row of the table: what is asked, what a good answer holds, the goal."""

    key: str
    label: str
    expect: str = ""  # ratios.lua: every good answer holds it
    goal: float | None = None
    reference: str = "ceiling"  # the key of the row the ratio is to


CEILING = Target("ceiling", "{ __typename } (the ceiling)", '"__typename":"Query"')
ME = Target("me", "me { points { balance pending } }", '"pending":', 0.5)
HOME_WARM = Target("warm", "home query, warm", '"kind":"EXPIRING_SOON"', 0.5)
HOME_COLD = Target(
    "cold", "home query, cold (RESPONSE_CACHE=off)", '"kind":"EXPIRING_SOON"', 0.8, "static"
)
STATIC = Target("static", "static strawberry app, same shape", '"kind":"EXPIRING_SOON"')
BOARD = Target("board", "leaderboard ALL_TIME 20 + me, 1M", '"me":{"rank"', 0.5)
SALE = Target("sale", "flash sale, 5,000 attempts, 200 clients", goal=0.7)
SOLD_OUT = Target("sold_out", "sold-out refusals, fresh keys", "OUT_OF_STOCK", 0.7)
CHECK_INS = Target("check_in", "checkIn, first of the day", '"streak":1,', 0.3)
ORDERS = Target("orders", "recordOrder, new orders", '"order":{"points":', 0.3)
TABLE = (CEILING, ME, HOME_WARM, HOME_COLD, STATIC, BOARD, SALE, SOLD_OUT, CHECK_INS, ORDERS)


@dataclass(frozen=True)
class Measured:
    target: Target
    rate: float
    p50_ms: float
    p99_ms: float
    note: str
    problems: tuple[str, ...] = ()
    runs: tuple[WrkRun, ...] = ()  # the wrk runs the medians are of
    usages: tuple[Usage, ...] = ()  # the CPU over each
    reference_rate: float | None = None  # of the reference's runs taken in turn with these


@dataclass(frozen=True)
class Invocation:
    """One wrk run and what ratios.lua and the processes' clocks said of it."""

    run: WrkRun  # its rate: the steady window's (see `invoke`)
    wrk_rate: float  # wrk's own, over the whole run
    window: int  # seconds in the steady window (0: none, the rate is wrk's)
    unexpected: int
    used: int
    exhausted: int
    usage: Usage


@dataclass(frozen=True)
class Seeded:
    home_ids: list[int]
    top_ids: list[int]
    flash_ids: list[int]
    redemptions: int


@dataclass
class Context:
    """What every phase needs."""

    plan: Plan
    settings: Settings
    env: dict[str, str]
    bench_url: str
    redis_url: str
    directory: Path
    profile_dir: Path | None
    home_tokens: list[str]
    sale_tokens: list[str]
    redis_pid: int | None
    profiles: list[tuple[str, list[str]]] = field(default_factory=list)
    measured: dict[str, list[Measured]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # beyond the table's rows

    def record(self, result: Measured) -> None:
        self.measured.setdefault(result.target.key, []).append(result)


# --- seeding --------------------------------------------------------------------------


async def seed(bench_url: str, rules: LedgerRules, sales: int) -> Seeded:
    await apply_migrations(bench_url)
    async with open_database(bench_url, pool_size=SEED_POOL):
        users = [
            (user_id_of(number), f"Bench User {number:04d}")
            for number in range(HOME_USERS + SALE_USERS)
        ]
        account_ids = await fund_accounts(users, FUND, rules)
        top_ids = await open_top_earners()
        for category, rate in RATES:
            await set_earning_rate(category, rate)
        now = clock.now()
        hot = [item for item in await seed_catalogue(now) if hot_candidate(item, now)]
        flash = await seed_flash_items(sales, now)
        picks = [(number, hot_pick(number, len(hot))) for number in range(HOME_USERS)]
        picks += [(number, hot_pick(number, len(hot)) + 1) for number in range(TWICE)]
        made = await seed_redemptions(
            [(users[number][0], account_ids[number], pick) for number, pick in picks], hot, rules
        )
        await seed_tags([(users[n][0], n) for n in range(HOME_USERS) if n % 3 != 2])
        await seed_expiring([(account_ids[n], n) for n in range(HOME_USERS)], rules)
    return Seeded(account_ids[:HOME_USERS], top_ids, flash, made)


async def open_top_earners() -> list[int]:
    ids: dict[int, int] = {}

    async def open_one(number: int) -> None:
        account = await open_account(top_user_id(number), nickname=f"Top Earner {number + 1:03d}")
        ids[number] = account.id

    await in_parallel(partial(open_one, number) for number in range(TOP_EARNERS))
    return [ids[number] for number in range(TOP_EARNERS)]


async def open_new_accounts(bench_url: str, user_ids: Sequence[str]) -> None:
    """Accounts as `open_account` makes them, many per INSERT (checkIn's users)."""
    now = clock.now()
    async with open_database(bench_url, pool_size=2):
        await Account.bulk_create(
            [
                Account(user_id=user_id, tags=[], created_at=now, updated_at=now)
                for user_id in user_ids
            ],
            batch_size=2_000,
        )


def user_tokens(settings: Settings, user_ids: Sequence[str]) -> list[str]:
    return [issue_token(settings, user_id, [Role.USER], TOKEN_TTL) for user_id in user_ids]


# --- ratios.lua's data ----------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What wrk sends for a path: ratios.lua's data file, and its body for a check."""

    data: Path
    body: str
    tokens: Sequence[str]
    slots: tuple[str, int, int] | None = None  # @@SLOT@@: format % (base + n % count)


def write_load(
    path: Path,
    body: str,
    tokens: Sequence[str],
    expect: str,
    once: bool = False,
    slots: tuple[str, int, int] | None = None,
) -> Load:
    """ratios.lua's data file (see its header); `slots`: (format, base, count)."""
    assert "]==]" not in body and "]==]" not in expect
    lines = [
        "return {",
        f"  body = [==[{body}]==],",
        f"  expect = [==[{expect}]==],",
        f"  once = {'true' if once else 'false'},",
    ]
    if slots is not None:
        form, base, count = slots
        lines += [
            f'  slot_format = "{form}",',
            f"  slot_base = {base},",
            f"  slot_count = {count},",
        ]
    lines += ["  tokens = {", *(f'    "{token}",' for token in tokens), "  },", "}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return Load(path, body, tokens, slots)


class TokenPool:
    """Users who have not checked in: each token serves one request, in order. Before
    each wrk run it holds what the run may take at the last rate seen (the ceiling's at
    first), opening more accounts when short."""

    def __init__(self, context: Context, body: str, expect: str, rate: float) -> None:
        self.context = context
        self.body = body
        self.expect = expect
        self.rate = rate
        self.seen: list[float] = []
        self.tokens: list[str] = []
        self.cursor = 0
        self.load = self.write()

    def write(self) -> Load:
        path = self.context.directory / "check_in.lua"
        return write_load(path, self.body, self.tokens, self.expect, once=True)

    def reserve(self, seconds: int) -> int:
        """Enough tokens for a run of `seconds`; where it starts."""
        rate = max(self.seen) if self.seen else self.rate
        needed = int(rate * seconds * POOL_MARGIN) + 4 * CLIENTS
        if len(self.tokens) - self.cursor < needed:
            self.grow(needed - (len(self.tokens) - self.cursor))
        return self.cursor

    def grow(self, count: int) -> None:
        began = time.perf_counter()
        user_ids = [NEW_USER.format(n) for n in range(len(self.tokens), len(self.tokens) + count)]
        asyncio.run(open_new_accounts(self.context.bench_url, user_ids))
        self.tokens += user_tokens(self.context.settings, user_ids)
        self.load = self.write()
        print(
            f"  opened {count:,} new users for checkIn in {time.perf_counter() - began:.1f} s "
            f"({len(self.tokens):,} in all)",
            flush=True,
        )

    def take(self) -> str:
        self.reserve(0)
        self.cursor += 1
        return self.tokens[self.cursor - 1]

    def consumed(self, used: int, rate: float) -> None:
        self.cursor += used
        self.seen.append(rate)


# --- CPU ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """CPU over an interval, in cores: who used the machine."""

    server: float
    database: float  # the bench database's PostgreSQL backends
    redis: float
    client: float  # wrk, or this process (the sale's client)
    others: float  # the rest of the machine: other work on it, a disturbance

    def __str__(self) -> str:
        return (
            f"CPU: server {self.server:.0%}, pg {self.database:.0%}, redis {self.redis:.0%}, "
            f"client {self.client:.0%}, others {self.others:.0%}"
        )


@dataclass(frozen=True)
class Reading:
    at: float
    machine: float
    server: float
    backends: dict[int, float]
    redis: float
    client: float


def machine_cpu() -> float:
    """CPU seconds the machine spent busy since boot (all cores; steal and I/O wait out)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, _steal = fields
    return (user + nice + system + irq + softirq) / CLOCK_TICKS


def process_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        return cpu_seconds(pid)
    except OSError:  # gone
        return 0.0


async def backend_pids(bench_url: str) -> list[int]:
    connection = await asyncpg.connect(asyncpg_url(bench_url))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return [int(row[0]) for row in rows]


async def redis_process_id(redis_url: str) -> int:
    redis = Redis.from_url(redis_url)
    try:
        return int((await redis.info("server"))["process_id"])
    finally:
        await redis.aclose()


def redis_pid(redis_url: str) -> int | None:
    """The Redis server's process, when it runs on this machine."""
    pid = asyncio.run(redis_process_id(redis_url))
    return pid if Path(f"/proc/{pid}").exists() else None


@dataclass(frozen=True)
class Meter:
    """Reads the CPU of the machine and of the bench's processes."""

    server_pid: int
    bench_url: str | None  # None: the server has no database (the static app)
    redis_pid: int | None

    def reading(self) -> Reading:
        pids = asyncio.run(backend_pids(self.bench_url)) if self.bench_url else []
        mine = os.times()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return Reading(
            at=time.perf_counter(),
            machine=machine_cpu(),
            server=process_cpu(self.server_pid),
            backends={pid: process_cpu(pid) for pid in pids},
            redis=process_cpu(self.redis_pid),
            client=mine.user + mine.system + children.ru_utime + children.ru_stime,
        )

    def usage(self, before: Reading) -> Usage:
        after = self.reading()
        wall = after.at - before.at
        database = sum(
            cpu - before.backends.get(pid, 0.0) for pid, cpu in after.backends.items() if cpu
        )
        server = after.server - before.server
        redis = after.redis - before.redis
        client = after.client - before.client
        others = after.machine - before.machine - server - database - redis - client
        return Usage(
            server / wall, database / wall, redis / wall, client / wall, max(0.0, others) / wall
        )


def median_usage(usages: Sequence[Usage]) -> Usage:
    return Usage(
        *(
            statistics.median(getattr(usage, name) for usage in usages)
            for name in ("server", "database", "redis", "client", "others")
        )
    )


# --- wrk ------------------------------------------------------------------------------

LUA_LINE = re.compile(r"ratios\.lua: unexpected (\d+) used (\d+) exhausted (\d+)")
SECONDS_LINE = re.compile(r"ratios\.lua: seconds ([\d:,]*)")


def answers_by_second(output: str) -> dict[int, int]:
    line = SECONDS_LINE.search(output)
    if line is None or not line.group(1):
        return {}
    pairs = (part.split(":") for part in line.group(1).split(","))
    return {int(second): int(count) for second, count in pairs}


def steady_window(answers: dict[int, int], launched: float, duration: int) -> list[int]:
    """The whole seconds of the run after its ramp: from the first second by which as many
    answers came as there are connections (each had its first) to the end."""
    first, last = math.ceil(launched) + 1, math.floor(launched + duration)
    came = sum(count for second, count in answers.items() if second < first)
    while first < last and came < CLIENTS:
        came += answers.get(first, 0)
        first += 1
    return list(range(first, last))


def invoke(
    port: int, load: Load, seconds: int, tag: str, meter: Meter, first: int = 0, ramp: int = 0
) -> Invocation:
    """One wrk run of `load`; `tag` makes its unique values unique in the whole bench.
    With a `ramp`, it runs that much longer and its rate is of the steady window that
    follows the ramp (see `steady_window`; wrk's own rate if the ramp took it all)."""
    before = meter.reading()
    launched = time.time()
    run = run_wrk(
        port,
        seconds + ramp,
        load.data,
        script=RATIOS_LUA,
        script_args=[tag, str(WRK_THREADS), str(first)],
        timeout=WRK_TIMEOUT,
    )
    usage = meter.usage(before)
    line = LUA_LINE.search(run.output)
    if line is None:
        raise BenchError(f"ratios.lua said nothing of its answers:\n{run.output}")
    unexpected, used, exhausted = (int(value) for value in line.groups())
    wrk_rate = run.requests_per_second
    window = steady_window(answers_by_second(run.output), launched, seconds + ramp) if ramp else []
    if window:
        answers = answers_by_second(run.output)
        rate = sum(answers.get(second, 0) for second in window) / len(window)
        run = replace(run, requests_per_second=rate)
    return Invocation(run, wrk_rate, len(window), unexpected, used, exhausted, usage)


def ramp_for(rate: float) -> int:
    """Seconds for every connection to have its first answer, twice over, at `rate`."""
    return max(2, min(MAX_RAMP, math.ceil(2 * CLIENTS / max(rate, 1.0))))


def invoke_pooled(
    port: int,
    load: Load,
    seconds: int,
    tag: str,
    meter: Meter,
    pool: TokenPool | None,
    ramp: int = 0,
) -> Invocation:
    if pool is None:
        return invoke(port, load, seconds, tag, meter, ramp=ramp)
    first = pool.reserve(seconds + ramp)
    done = invoke(port, pool.load, seconds, tag, meter, first, ramp)
    pool.consumed(done.used, done.wrk_rate)
    return done


def run_line(done: Invocation) -> str:
    run = done.run
    problems = ""
    if run.non_2xx or any(run.socket_errors.values()) or done.unexpected or done.exhausted:
        problems = (
            f"  unexpected {done.unexpected}, non-2xx {run.non_2xx}, socket errors "
            f"{run.socket_errors}, tokens exhausted {done.exhausted}"
        )
    window = f" in {done.window} s after the ramp" if done.window else ""
    return (
        f"{run.requests_per_second:8.1f} req/s  p50 {run.p50_ms:6.2f} ms  "
        f"p99 {run.p99_ms:7.2f} ms  ({run.requests:,} answers, wrk's rate "
        f"{done.wrk_rate:.1f}; rate{window}; {done.usage}){problems}"
    )


@dataclass
class Reference:
    """The row a path's ratio is to, run in turn with the path's runs: a disturbance of
    the machine then weighs on both sides of the ratio alike."""

    target: Target
    port: int
    load: Load
    meter: Meter
    ramp: int | None = None  # known after its warm-up


def measure(
    context: Context,
    target: Target,
    port: int,
    load: Load,
    meter: Meter,
    pool: TokenPool | None = None,
    reference: Reference | None = None,
) -> Measured:
    """A warm-up, the runs (medians), each followed by a run of the reference (recorded
    as its own row too), and with --profile one more run under py-spy."""
    plan = context.plan
    warm_up = invoke_pooled(port, load, plan.warm_up, f"{target.key}-warm", meter, pool)
    ramp = ramp_for(warm_up.wrk_rate)
    runs: list[Invocation] = []
    references: list[Invocation] = []
    for number in range(plan.runs):
        tag = f"{target.key}-{number}"
        runs.append(invoke_pooled(port, load, plan.seconds, tag, meter, pool, ramp))
        print(f"  run {number + 1}: {run_line(runs[-1])}", flush=True)
        if reference is not None:
            references.append(reference_run(context, reference, tag))
    if context.profile_dir is not None:
        with profiling(context, target, meter.server_pid):
            invoke_pooled(port, load, plan.profile_seconds, f"{target.key}-prof", meter, pool)
    result = summary(target, runs)
    if reference is None:
        return result
    context.record(summary(reference.target, references))
    rate = statistics.median(done.run.requests_per_second for done in references)
    return replace(result, reference_rate=rate)


def reference_run(context: Context, reference: Reference, tag: str) -> Invocation:
    ramp = warm_up_reference(context, reference)
    done = invoke(
        reference.port, reference.load, context.plan.seconds, f"{tag}-ref", reference.meter, 0, ramp
    )
    print(f"    {reference.target.key}: {run_line(done)}", flush=True)
    return done


def warm_up_reference(context: Context, reference: Reference) -> int:
    """The reference's warm-up, the first time (and with --profile its profiled run); its
    ramp."""
    if reference.ramp is None:
        plan, port, load, meter = context.plan, reference.port, reference.load, reference.meter
        key = reference.target.key
        reference.ramp = ramp_for(invoke(port, load, plan.warm_up, f"{key}-warm", meter).wrk_rate)
        if context.profile_dir is not None:
            with profiling(context, reference.target, meter.server_pid):
                invoke(port, load, plan.profile_seconds, f"{key}-prof", meter)
    return reference.ramp


def summary(target: Target, runs: Sequence[Invocation]) -> Measured:
    unexpected = sum(done.unexpected for done in runs)
    exhausted = sum(done.exhausted for done in runs)
    socket_errors = sum(sum(done.run.socket_errors.values()) for done in runs)
    notes = []
    problems = []
    if unexpected or socket_errors:
        notes.append(f"{unexpected:,} unexpected answers, {socket_errors:,} socket errors")
        problems.append(f"{target.label}: {unexpected:,} unexpected answers")
    if exhausted:
        notes.append(f"{exhausted} requests repeated a used token")
        problems.append(f"{target.label}: the token pool ran out ({exhausted} repeats)")
    return Measured(
        target=target,
        rate=statistics.median(done.run.requests_per_second for done in runs),
        p50_ms=statistics.median(done.run.p50_ms for done in runs),
        p99_ms=statistics.median(done.run.p99_ms for done in runs),
        note=", ".join(notes),
        problems=tuple(problems),
        runs=tuple(done.run for done in runs),
        usages=tuple(done.usage for done in runs),
    )


@contextmanager
def profiling(context: Context, target: Target, pid: int) -> Iterator[None]:
    """py-spy records process `pid` during the block; its summary goes to the context."""
    assert context.profile_dir is not None
    path = context.profile_dir / f"{target.key}.txt"
    process = subprocess.Popen(
        profile_command(pid, path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    time.sleep(0.5)  # attached
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, errors = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            errors = b"py-spy did not stop"
        lines = summarise_profile(
            path, process.returncode, 12, 12, by_package=True, skip_wrappers=True
        )
        if process.returncode not in (0, None) and not path.exists():
            lines.append(errors.decode(errors="replace").strip()[-500:])
        context.profiles.append((target.label, lines))


# --- checks ---------------------------------------------------------------------------


def ask(port: int, token: str, body: str, expect: str) -> dict[str, Any]:
    """One request; its data, once the answer passed what ratios.lua checks and has no
    GraphQL error."""
    response = httpx.post(
        f"{base_url(port)}/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        timeout=30,
    )
    text = response.text
    if response.status_code != 200:
        raise BenchError(f"answered {response.status_code}: {text[:500]}")
    result = response.json()
    if result.get("errors") or not result.get("data"):
        raise BenchError(f"answered errors: {text[:500]}")
    if expect not in text or '"extensions"' in text:
        raise BenchError(f"the answer lacks {expect!r} (or has extensions): {text[:500]}")
    data: dict[str, Any] = result["data"]
    return data


def substituted(load: Load, tag: str) -> str:
    """The body with the values ratios.lua would put in for request 0 of run `tag`."""
    body = load.body.replace("@@UNIQUE@@", tag)
    if load.slots is None:
        return body
    form, base, _ = load.slots
    return body.replace("@@SLOT@@", form % base)


def check_ceiling(port: int, load: Load) -> str:
    data = ask(port, load.tokens[0], load.body, CEILING.expect)
    if data != {"__typename": "Query"}:
        raise BenchError(f"{{ __typename }} answered {data}")
    return "Query"


def check_me(port: int, load: Load) -> str:
    for token in load.tokens[:20]:
        points = ask(port, token, load.body, ME.expect)["me"]["points"]
        if not isinstance(points["balance"], int) or not isinstance(points["pending"], int):
            raise BenchError(f"me's points are {points}")
    return f"balance {points['balance']:,}, pending {points['pending']:,}"


def check_home(port: int, load: Load) -> str:
    """20 users' homes have the 5 cards, with items."""
    return verify_mall(port, load.tokens[:20], load.body)


def home_answer(port: int, token: str, body: str, path: Path) -> dict[str, Any]:
    """The home of the first user, saved for the static app."""
    data = ask(port, token, body, HOME_COLD.expect)
    answer = {"data": data}
    path.write_text(json.dumps(answer), encoding="utf-8")
    return answer


def shape(answer: dict[str, Any]) -> list[tuple[str, int]]:
    return [(card["kind"], len(card["items"])) for card in answer["data"]["mall"]["cards"]]


def check_static(port: int, load: Load, answer: dict[str, Any]) -> str:
    data = ask(port, load.tokens[0], load.body, STATIC.expect)
    if shape({"data": data}) != shape(answer):
        raise BenchError(f"the static app's shape {shape({'data': data})} != {shape(answer)}")
    same = "identical" if data == answer["data"] else "same shape, some values differ"
    return f"{same} to the server's answer"


def check_refusal(port: int, load: Load) -> str:
    payload = ask(port, load.tokens[0], substituted(load, "check"), SOLD_OUT.expect)["redeem"]
    if payload["redemption"] is not None or payload["errors"] != [{"code": "OUT_OF_STOCK"}]:
        raise BenchError(f"a sold-out redeem answered {payload}")
    return "OUT_OF_STOCK"


def check_check_in(port: int, pool: TokenPool) -> str:
    body = pool.body.replace("@@UNIQUE@@", "check")
    payload = ask(port, pool.take(), body, CHECK_INS.expect)["checkIn"]
    if payload["errors"] or payload["checkIn"]["streak"] != 1:
        raise BenchError(f"a first check-in answered {payload}")
    return f"streak 1, reward {payload['checkIn']['reward']}"


def check_order(port: int, load: Load) -> str:
    payload = ask(port, load.tokens[0], substituted(load, "check"), ORDERS.expect)["recordOrder"]
    if payload["errors"] or payload["order"]["points"] <= 0:
        raise BenchError(f"a new order answered {payload}")
    return f"{payload['order']['points']:,} points"


# --- the flash sale -------------------------------------------------------------------


def flash_sale(context: Context, item_id: int, meter: Meter) -> Measured:
    """bench/mall.py's sale: every sale user once, 200 connections; exactly FLASH_STOCK
    confirmed, in the answers and in the database."""
    before = meter.reading()
    sale = uvloop.run(run_flash_sale(PORT, item_id, context.sale_tokens, SALE_SEED + item_id))
    usage = meter.usage(before)  # over the warm-up queries too
    counts = Counter(attempt.outcome for attempt in sale.attempts)
    redemptions, stock, gate = asyncio.run(
        sale_in_database(context.bench_url, context.redis_url, item_id)
    )
    outcomes = ", ".join(f"{outcome} {count:,}" for outcome, count in counts.most_common())
    problems = []
    if counts["CONFIRMED"] != FLASH_STOCK or redemptions != FLASH_STOCK or stock != 0:
        problems.append(
            f"flash sale of item {item_id}: {counts['CONFIRMED']} confirmed, {redemptions} "
            f"redemptions in the database, stock left {stock} (expected {FLASH_STOCK}, "
            f"{FLASH_STOCK}, 0)"
        )
    if set(counts) - {"CONFIRMED", "OUT_OF_STOCK"}:
        problems.append(f"flash sale of item {item_id}: unexpected outcomes: {outcomes}")
    latencies = sale.latencies()
    note = f"{outcomes}; database {redemptions} redemptions, stock {stock}, gate {gate}"
    print(
        f"  {len(latencies) / sale.seconds:.1f} attempts/s in {sale.seconds:.2f} s; {note}; "
        f"{usage}",
        flush=True,
    )
    return Measured(
        SALE,
        len(latencies) / sale.seconds,
        statistics.median(latencies),
        nearest_rank(latencies, 0.99),
        note,
        tuple(problems),
        usages=(usage,),
    )


async def buyers(bench_url: str, item_id: int) -> set[str]:
    connection = await asyncpg.connect(asyncpg_url(bench_url))
    try:
        rows = await connection.fetch(
            "SELECT a.user_id FROM mall_redemption r JOIN account a ON a.id = r.account_id "
            "WHERE r.item_id = $1",
            item_id,
        )
    finally:
        await connection.close()
    return {str(row[0]) for row in rows}


# --- the phases -----------------------------------------------------------------------


def announce(target: Target, detail: str) -> None:
    print(f"{target.label}: {detail}", flush=True)


def cold_phase(context: Context, home: Load) -> None:
    """The server with RESPONSE_CACHE=off and the static app, serving the server's answer
    to the first user, side by side: the home query of each in turn."""
    env = {**context.env, "RESPONSE_CACHE": "off"}
    log_path = context.directory / "server-cold.log"
    print("starting the server with RESPONSE_CACHE=off", flush=True)
    with server(PORT, 1, env, log_path) as process, with_log(log_path):
        meter = Meter(worker_pid(process.pid), context.bench_url, context.redis_pid)
        announce(HOME_COLD, check_home(PORT, home))
        answer_path = context.directory / "home-answer.json"
        answer = home_answer(PORT, home.tokens[0], home.body, answer_path)
        with static_app(context, answer_path) as static_pid:
            announce(STATIC, check_static(STATIC_PORT, home, answer))
            reference = Reference(STATIC, STATIC_PORT, home, Meter(static_pid, None, None))
            warm_up_reference(context, reference)
            context.record(measure(context, HOME_COLD, PORT, home, meter, None, reference))


@contextmanager
def static_app(context: Context, answer_path: Path) -> Iterator[int]:
    """bench/static_home.py serving the answer in `answer_path`; its process id."""
    command = [sys.executable, str(STATIC_APP), "--port", str(STATIC_PORT), "--answer"]
    log_path = context.directory / "static.log"
    print("starting the static app", flush=True)
    with (
        serving([*command, str(answer_path)], STATIC_PORT, context.env, log_path) as app,
        with_log(log_path),
    ):
        yield app.pid


def main_phase(context: Context, seeded: Seeded, loads: dict[str, Load]) -> None:
    """The server as configured: every other path, each in turn with the ceiling."""
    log_path = context.directory / "server.log"
    print("starting the server", flush=True)
    with server(PORT, 1, context.env, log_path) as process, with_log(log_path):
        meter = Meter(worker_pid(process.pid), context.bench_url, context.redis_pid)
        ceiling = Reference(CEILING, PORT, loads["ceiling"], meter)
        board, nicknames = fill_board(context, seeded)
        announce(CEILING, check_ceiling(PORT, loads["ceiling"]))
        warm_up_reference(context, ceiling)
        announce(ME, check_me(PORT, loads["me"]))
        context.record(measure(context, ME, PORT, loads["me"], meter, None, ceiling))
        announce(HOME_WARM, check_home(PORT, loads["home"]))
        context.record(measure(context, HOME_WARM, PORT, loads["home"], meter, None, ceiling))
        announce(BOARD, verify_board(board, context.home_tokens[:20], nicknames, PORT))
        context.record(measure(context, BOARD, PORT, loads["board"], meter, None, ceiling))
        sales(context, seeded.flash_ids, ceiling)
        refusals(context, seeded.flash_ids[0], ceiling)
        engagement(context, loads["orders"], ceiling)


def fill_board(context: Context, seeded: Seeded) -> tuple[Board, dict[int, str]]:
    """The ALL_TIME board: 1,000,000 members, the home users in the middle."""
    now = clock.now()
    board, members = plan_board(seeded.top_ids, seeded.home_ids, now)
    key = board_key(Period.ALL_TIME, now, context.settings.zone)
    load_board(context.redis_url, key, members)
    nicknames = {
        account_id: f"Top Earner {n + 1:03d}" for n, account_id in enumerate(board.top_ids)
    }
    return board, nicknames


def sales(context: Context, flash_ids: Sequence[int], ceiling: Reference) -> None:
    """The sale, between two runs of the ceiling; with --profile, a second sale profiled."""
    announce(SALE, f"{len(context.sale_tokens):,} attempts for a stock of {FLASH_STOCK}")
    before = reference_run(context, ceiling, "sale-before")
    sale = flash_sale(context, flash_ids[0], ceiling.meter)
    after = reference_run(context, ceiling, "sale-after")
    context.record(summary(CEILING, [before, after]))
    rates = [done.run.requests_per_second for done in (before, after)]
    context.record(replace(sale, reference_rate=statistics.mean(rates)))
    if context.profile_dir is not None:
        print("  a second sale, profiled", flush=True)
        with profiling(context, SALE, ceiling.meter.server_pid):
            profiled = flash_sale(context, flash_ids[1], ceiling.meter)
        context.problems += profiled.problems


def refusals(context: Context, item_id: int, ceiling: Reference) -> None:
    sold = asyncio.run(buyers(context.bench_url, item_id))
    tokens = [
        token
        for number, token in enumerate(context.sale_tokens)
        if user_id_of(HOME_USERS + number) not in sold
    ]
    body = body_of(
        REDEEM,
        {"input": {"itemId": global_id("Item", item_id), "idempotencyKey": "@@UNIQUE@@"}},
    )
    load = write_load(context.directory / "sold_out.lua", body, tokens, SOLD_OUT.expect)
    announce(SOLD_OUT, f"{len(tokens):,} users who did not buy; {check_refusal(PORT, load)}")
    context.record(measure(context, SOLD_OUT, PORT, load, ceiling.meter, None, ceiling))


def engagement(context: Context, orders: Load, ceiling: Reference) -> None:
    rate = statistics.median(result.rate for result in context.measured["ceiling"])
    pool = TokenPool(context, body_of(CHECK_IN, {"k": "@@UNIQUE@@"}), CHECK_INS.expect, rate)
    announce(CHECK_INS, check_check_in(PORT, pool))
    meter = ceiling.meter
    context.record(measure(context, CHECK_INS, PORT, pool.load, meter, pool, ceiling))
    announce(ORDERS, check_order(PORT, orders))
    context.record(measure(context, ORDERS, PORT, orders, meter, None, ceiling))


@contextmanager
def with_log(log_path: Path) -> Iterator[None]:
    """A failure inside shows the end of the server's log."""
    try:
        yield
    except BenchError as error:
        raise BenchError(f"{error}\nthe log ({log_path.name}):\n{tail(log_path)}") from None


def write_loads(context: Context) -> dict[str, Load]:
    directory, tokens = context.directory, context.home_tokens
    service = issue_token(context.settings, "shop-backend", [Role.SERVICE], TOKEN_TTL)
    order = order_input(0, 0, clock.now() - timedelta(hours=2))
    order.update(orderId="ratios-@@UNIQUE@@", userId="@@SLOT@@")
    return {
        "ceiling": write_load(
            directory / "ceiling.lua", body_of("{ __typename }"), tokens, CEILING.expect
        ),
        "me": write_load(
            directory / "me.lua",
            body_of("{ me { points { balance pending } } }"),
            tokens,
            ME.expect,
        ),
        "home": write_load(directory / "home.lua", body_of(HOME_QUERY), tokens, HOME_WARM.expect),
        "board": write_load(directory / "board.lua", body_of(LEADERBOARD), tokens, BOARD.expect),
        "orders": write_load(
            directory / "orders.lua",
            body_of(RECORD_ORDER, {"input": order}),
            [service],
            ORDERS.expect,
            slots=("bench-user-%04d", HOME_USERS, SALE_USERS),
        ),
    }


# --- the table ------------------------------------------------------------------------


def merged(results: Sequence[Measured]) -> Measured:
    """A target measured in rounds (the ceiling, in turn with each path): the medians of
    all their runs; the rounds' medians' range in the note."""
    if len(results) == 1:
        return results[0]
    runs = [run for result in results for run in result.runs]
    low, high = min(result.rate for result in results), max(result.rate for result in results)
    notes = [f"{len(runs)} runs in {len(results)} rounds, round medians {low:.0f}-{high:.0f}"]
    return Measured(
        results[0].target,
        statistics.median(run.requests_per_second for run in runs),
        statistics.median(run.p50_ms for run in runs),
        statistics.median(run.p99_ms for run in runs),
        ", ".join(notes + [result.note for result in results if result.note]),
        tuple(problem for result in results for problem in result.problems),
        tuple(runs),
        tuple(usage for result in results for usage in result.usages),
    )


def ratio_of(result: Measured, results: dict[str, Measured]) -> float | None:
    """To the reference's runs taken in turn with the path's, else to its whole row."""
    if result.reference_rate:
        return result.rate / result.reference_rate
    reference = results.get(result.target.reference)
    if reference is None or not reference.rate or reference.target is result.target:
        return None
    return result.rate / reference.rate


def notes_of(result: Measured) -> str:
    notes = [str(median_usage(result.usages))] if result.usages else []
    if result.reference_rate:
        notes.append(f"{result.target.reference} in turn {result.reference_rate:.1f}")
    return "; ".join([*notes, *([result.note] if result.note else [])])


def verdict(result: Measured, ratio: float | None) -> str:
    if result.problems:
        return "ERRORS"
    if result.target.goal is None or ratio is None:
        return "-"
    return "ok" if ratio >= result.target.goal else "below"


def table(results: dict[str, Measured], header: str) -> list[str]:
    rows = [("path", "req/s", "p50 ms", "p99 ms", "ratio", "goal", "", "notes")]
    for target in TABLE:
        result = results.get(target.key)
        if result is None:
            continue
        ratio = ratio_of(result, results)
        goal = "-" if target.goal is None else f">= {target.goal:.1f}x"
        if target.reference != "ceiling":
            goal += f" of {target.reference}"
        rows.append(
            (
                target.label,
                f"{result.rate:.1f}",
                f"{result.p50_ms:.1f}",
                f"{result.p99_ms:.1f}",
                "-" if ratio is None else f"{ratio:.2f}x",
                goal,
                verdict(result, ratio),
                notes_of(result),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    lines = [header]
    for row in rows:
        cells = [
            cell.ljust(width) if column in (0, 5, 6) else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def header(plan: Plan, postgres: str, redis: str, cores: int) -> str:
    return (
        f"pointsmall ratios benchmark: 1 worker, PostgreSQL {postgres}, Redis {redis}, "
        f"{cores} cores; wrk {WRK_THREADS} threads x {CLIENTS} connections, medians of "
        f"{plan.runs} runs of {plan.seconds} s after {plan.warm_up} s of warm-up; ratio: to "
        f"the reference's runs in turn with the path's (the ceiling unless the goal says)"
    )


# --- the whole run --------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="each path's rate against `{ __typename }`")
    parser.add_argument("--quick", action="store_true", help="shorter runs (about 3 minutes)")
    parser.add_argument(
        "--profile",
        nargs="?",
        type=Path,
        const=Path(""),
        help="py-spy each path into DIR (default: a new directory under /tmp)",
    )
    return parser.parse_args()


def profile_directory(argument: Path | None) -> Path | None:
    if argument is None:
        return None
    if argument == Path(""):
        return Path(tempfile.mkdtemp(prefix="pointsmall-bench-ratios-profiles-"))
    argument.mkdir(parents=True, exist_ok=True)
    return argument


def run(context: Context, seeded: Seeded) -> None:
    loads = write_loads(context)
    cold_phase(context, loads["home"])
    main_phase(context, seeded, loads)


def prepare(context: Context, sales: int) -> Seeded:
    print(
        f"seeding {HOME_USERS + SALE_USERS:,} users, {TOP_EARNERS} top earners, the catalogue, "
        f"{sales} flash item(s)",
        flush=True,
    )
    began = time.perf_counter()
    seeded = asyncio.run(seed(context.bench_url, ledger_rules(context.settings), sales))
    print(
        f"seeded in {time.perf_counter() - began:.1f} s ({seeded.redemptions} redemptions)",
        flush=True,
    )
    print(prime_gates(context.env, context.redis_url, seeded.flash_ids), flush=True)
    return seeded


def report(context: Context, postgres: str, redis: str, started: float) -> list[str]:
    """Print the table and the profiles; the problems."""
    results = {key: merged(found) for key, found in context.measured.items()}
    cores = os.cpu_count() or 1
    print()
    print("\n".join(table(results, header(context.plan, postgres, redis, cores))))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"total run time {time.perf_counter() - started:.0f} s; load average now {load}")
    for label, lines in context.profiles:
        print(f"\nprofile: {label}")
        print("\n".join(f"  {line}" for line in lines))
    found = [problem for result in results.values() for problem in result.problems]
    return found + context.problems


def main() -> int:
    args = arguments()
    if wrk_missing():
        return 2
    started = time.perf_counter()
    admin_url, redis_url, bench_url, env = bench_target(BENCH_DATABASE, DEFAULT_REDIS_URL)
    env.pop("RESPONSE_CACHE", None)  # the server's default; the cold phase turns it off
    settings = Settings.from_env(env)
    profile_dir = profile_directory(args.profile)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}", flush=True)
    try:
        postgres = asyncio.run(recreate_database(admin_url, BENCH_DATABASE))
        redis = asyncio.run(clear_redis(redis_url))
        with tempfile.TemporaryDirectory(prefix="pointsmall-bench-ratios-") as directory:
            context = Context(
                plan=QUICK if args.quick else NORMAL,
                settings=settings,
                env=env,
                bench_url=bench_url,
                redis_url=redis_url,
                directory=Path(directory),
                profile_dir=profile_dir,
                home_tokens=user_tokens(settings, [user_id_of(n) for n in range(HOME_USERS)]),
                sale_tokens=user_tokens(
                    settings, [user_id_of(HOME_USERS + n) for n in range(SALE_USERS)]
                ),
                redis_pid=redis_pid(redis_url),
            )
            seeded = prepare(context, 2 if profile_dir else 1)
            run(context, seeded)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(drop_database(admin_url, BENCH_DATABASE))
        asyncio.run(clear_redis(redis_url))
    problems = report(context, postgres, redis, started)
    if profile_dir is not None:
        print(f"\nprofiles (collapsed stacks) in {profile_dir}")
    for problem in problems:
        print(f"PROBLEM {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
