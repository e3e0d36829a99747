"""Ledger benchmark on PostgreSQL + Redis: the `me` query over HTTP, and spends.

Run from the repository root (PostgreSQL, Redis and wrk must be running / installed):

    .venv/bin/python bench/ledger.py

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
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import httpx
from redis.asyncio import Redis

from pointsmall import clock
from pointsmall.auth import Role, issue_token
from pointsmall.config import Settings
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain import ledger
from pointsmall.domain.accounts import open_account
from pointsmall.domain.actors import Actor
from pointsmall.domain.audit import audit_ledger
from pointsmall.domain.ledger import LedgerRequest
from pointsmall.domain.rules import LedgerRules
from pointsmall.models import Account
from pointsmall.runtime import ledger_rules

ROOT = Path(__file__).resolve().parents[1]
ME_LUA = Path(__file__).resolve().with_name("me.lua")
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
BENCH_DATABASE = "pointsmall_bench"
HOST = "127.0.0.1"
PORT = 8099
BASE_URL = f"http://{HOST}:{PORT}"
# the server's keys; the bench's Redis database is left as it found it otherwise
REDIS_KEYS = "pointsmall:*"

USERS = 1_000
TOKENS = 200
SEED_CONCURRENCY = 50
CLIENTS = 50
WRK_THREADS = 2
WARM_UP_SECONDS = 3
RUN_SECONDS = 5
WRK_RUNS = 5
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


class BenchError(Exception):
    """Something other than speed went wrong: the message says what."""


@dataclass(frozen=True)
class Row:
    label: str
    rate: float
    unit: str
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class WrkRun:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: dict[str, int]


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


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def asyncpg_url(url: str) -> str:
    return re.sub(r"^(asyncpg|postgresql)://", "postgres://", url)


async def recreate_database(admin_url: str) -> str:
    connection = await asyncpg.connect(asyncpg_url(admin_url))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")
        version: str = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return version.split()[0]


async def drop_database(admin_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_url(admin_url))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    finally:
        await connection.close()


async def clear_redis(redis_url: str) -> str:
    """Delete the server's keys (job locks) from the bench's Redis database; its version."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = [key async for key in redis.scan_iter(match=REDIS_KEYS)]
        if keys:
            await redis.delete(*keys)
        info = await redis.info("server")
    finally:
        await redis.aclose()
    return str(info["redis_version"])


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
        await ledger.earn(
            account.id,
            amount,
            LedgerRequest(actor=SHOP, idempotency_key=f"grant-{index}", reason="order reward"),
            rules,
            expires_at=now + soon if soon else None,
            available_at=now + pending if pending else None,
        )
        spent = SPEND_AFTER.get(index)
        if spent:
            await ledger.spend(
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


def server_environment(bench_url: str, redis_url: str) -> dict[str, str]:
    """Our environment for a development server on the bench's database and Redis."""
    env = dict(os.environ)
    for name in ("POINTSMALL_ENV", "JWT_SECRET", "JWT_PUBLIC_KEY", "JWT_ISSUER", "JWT_AUDIENCE"):
        env.pop(name, None)
    env.update(DATABASE_URL=bench_url, REDIS_URL=redis_url, LOG_LEVEL="WARNING")
    return env


def write_tokens(settings: Settings, directory: Path) -> Path:
    """The Lua file me.lua loads: the request body and 200 user tokens."""
    tokens = [
        issue_token(settings, user_id_of(number), [Role.USER], timedelta(hours=2))
        for number in range(TOKENS)
    ]
    assert "]==]" not in ME_BODY
    lines = ["return {", f"  body = [==[{ME_BODY}]==],", "  tokens = {"]
    lines += [f'    "{token}",' for token in tokens]
    lines += ["  },", "}", ""]
    path = directory / "tokens.lua"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def read_tokens(path: Path) -> list[str]:
    return re.findall(r'^\s+"([^"]+)",$', path.read_text(encoding="utf-8"), re.MULTILINE)


def port_in_use() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, PORT)) == 0


def pointsmall_command() -> str:
    for candidate in (
        ROOT / ".venv" / "bin" / "pointsmall",
        Path(sys.executable).with_name("pointsmall"),
    ):
        if candidate.exists():
            return str(candidate)
    raise BenchError("no `pointsmall` command: pip install -e '.[dev]' in .venv first")


@contextmanager
def server(workers: int, env: dict[str, str], log_path: Path) -> Iterator[None]:
    """`pointsmall serve` on port 8099 until the block ends; always stopped."""
    deadline = time.monotonic() + 10
    while port_in_use():
        if time.monotonic() > deadline:
            raise BenchError(f"port {PORT} is in use by another process")
        time.sleep(0.2)
    command = [pointsmall_command(), "serve", "--host", HOST, "--port", str(PORT)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers stop with it
        )
    try:
        wait_until_ready(process, log_path)
        yield
    finally:
        stop(process)


def wait_until_ready(process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=BASE_URL, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"the server exited ({process.returncode}):\n{tail(log_path)}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise BenchError(f"the server was not ready within 60 s:\n{tail(log_path)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def verify_me(tokens: Sequence[str]) -> None:
    """Each token's `me` answers 200 with data, no errors, and a full first ledger page."""
    with httpx.Client(base_url=BASE_URL, timeout=10) as client:
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


def run_wrk(seconds: int, tokens_file: Path) -> WrkRun:
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{CLIENTS}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(ME_LUA),
        f"{BASE_URL}/graphql",
        "--",
        str(tokens_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output: str) -> WrkRun:
    def number(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise BenchError(f"cannot read wrk's output ({pattern!r}):\n{output}")
        return match

    def percentile(label: str) -> float:
        match = number(rf"^\s+{label}%\s+([\d.]+)(us|ms|s|m|h)\s*$")
        return float(match.group(1)) * UNITS_MS[match.group(2)]

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (?P<connect>\d+), read (?P<read>\d+), "
        r"write (?P<write>\d+), timeout (?P<timeout>\d+)",
        output,
    )
    return WrkRun(
        requests_per_second=float(number(r"^Requests/sec:\s+([\d.]+)").group(1)),
        p50_ms=percentile("50"),
        p99_ms=percentile("99"),
        requests=int(number(r"^\s+(\d+) requests in ").group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=(
            {name: int(count) for name, count in socket_errors.groupdict().items()}
            if socket_errors
            else {}
        ),
    )


def bench_me(workers: int, env: dict[str, str], tokens_file: Path, log_path: Path) -> Row:
    label = f"me query, {CLIENTS} clients, {workers} worker{'s' if workers > 1 else ''}"
    print(f"{label}: starting the server", flush=True)
    tokens = read_tokens(tokens_file)
    with server(workers, env, log_path):
        verify_me(tokens)
        run_wrk(WARM_UP_SECONDS, tokens_file)
        runs: list[WrkRun] = []
        for number in range(WRK_RUNS):
            run = run_wrk(RUN_SECONDS, tokens_file)
            runs.append(run)
            problems = ""
            if run.non_2xx or any(run.socket_errors.values()):
                problems = f"  non-2xx {run.non_2xx}  socket errors {run.socket_errors}"
            print(
                f"  run {number + 1}: {run.requests_per_second:8.1f} req/s  "
                f"p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:7.2f} ms  "
                f"({run.requests:,} requests){problems}",
                flush=True,
            )
        verify_me(tokens[:5])  # still answering correctly after the load
    return Row(
        label=label,
        rate=statistics.median(run.requests_per_second for run in runs),
        unit="req/s",
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
    )


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
                await ledger.spend(account_id, amount, request)
            except Exception as error:
                run.failures[type(error).__name__] += 1
                continue
            run.latencies_ms.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(SPEND_TASKS)))
    run.seconds = time.perf_counter() - began
    return run


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


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
            await ledger.earn(
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
    width = max(len(row.label) for row in rows)
    lines = [
        f"pointsmall ledger benchmark  (PostgreSQL {postgres}, Redis {redis}, {cores} cores; "
        f"medians of {WRK_RUNS} wrk runs / {SPEND_RUNS} spend runs; "
        f"server pool {pool}, spend pool {SPEND_POOL})"
    ]
    for row in rows:
        lines.append(
            f"{row.label:<{width}} : {row.rate:8.1f} {row.unit:<8}  "
            f"p50 {row.p50_ms:6.1f} ms  p99 {row.p99_ms:7.1f} ms"
        )
    return "\n".join(lines)


def main() -> int:
    if shutil.which("wrk") is None:
        print("install wrk: apt-get install wrk", file=sys.stderr)
        return 2
    started = time.perf_counter()
    admin_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_ADMIN_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    bench_url = database_url(admin_url, BENCH_DATABASE)
    env = server_environment(bench_url, redis_url)
    settings = Settings.from_env(env)
    rules = ledger_rules(settings)
    cores = os.cpu_count() or 1
    rows: list[Row] = []
    try:
        postgres = asyncio.run(recreate_database(admin_url))
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
        asyncio.run(drop_database(admin_url))
        asyncio.run(clear_redis(redis_url))
    print()
    print(table(rows, postgres, redis, cores, settings.database_pool_size))
    print(f"total run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
