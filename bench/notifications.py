"""Notifications benchmark on PostgreSQL + Redis: thousands of live subscriptions on one worker.

Run from the repository root (PostgreSQL and Redis must be running):

    .venv/bin/python bench/notifications.py

For each of 5,000 and 10,000 sockets, it creates a fresh database `pointsmall_bench_notify`
next to the admin database of BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/test), dropping it first if present and again at the
end, and uses Redis database BENCH_REDIS_URL (default redis://127.0.0.1:6379/11), deleting
only the server's `pointsmall:*` keys. It opens N accounts (and 100 for the warm-up), each
with one lot of points expiring in 2 days (`entries.earn`, which stores a PointsEarned
notification before any socket is open). It starts `pointsmall serve` on port 8096 with
ONE worker and REDIS_URL set (the Redis broker), having first claimed the scheduler's lock
of the `expiry-warnings` job in Redis, so that the server does not send the warnings
itself at start-up. Then, from this process (uvloop, the `websockets` asyncio client,
permessage-deflate offered as browsers do, unless --no-deflate):

1. it opens N websockets (graphql-transport-ws), 200 at a time, each authenticated as its
   own user in `connection_init`, each with one `notifications` subscription; then it waits
   until the server's process is idle (under 5% of a core for two 0.5 s intervals in a
   row), so every subscription resolver has run (the deliveries below then check it);
2. memory: the server process's VmRSS (/proc; with one worker uvicorn serves in its main
   process) after a warm-up (100 sockets opened, notified and closed) and after the N
   sockets are subscribed; (after - before) / N;
3. one-user delivery: 200 times in turn, a random subscribed user gets `grantPoints`
   (service token, over one keep-alive HTTP connection): the time from sending the request
   to the PointsEarned `next` message arriving on that user's socket; median and p99 (and,
   printed as it goes, those of the grant's HTTP answer);
4. a burst: `pointsmall jobs warn-expiring` (the server's environment) stores one
   PointsExpiringSoon per user and publishes each through Redis; for each socket, the time
   from starting the command to its message; how many arrived (waiting until all have, or
   until none has arrived for 10 s after the job ended), the last, median and p99; the
   job's own wall time (a job with nothing to do, `jobs announce-matured`, is timed too:
   the command's start-up and connections). The job sets the pace, so the table adds what
   the server itself adds: from each warning's stored `created_at` to its arrival (one
   clock, the machine's), and the longest gap between two arrivals (a stalled server).

With --profile DIR, py-spy records the server (100 Hz, --native: the C frames too, such
as the garbage collector's) during each burst, and the job under py-spy (--idle: its
waits on the network too), into DIR; the busiest functions are printed. --no-deflate
offers no compression; --sockets 1000,2000 runs other sizes. The server's and the
client's CPU time are printed for the opening and the burst. The soft limit of open files
is raised to the hard one (the server inherits it); a hard limit below N + 1,100 stops
the run before it starts. This prints figures; it asserts nothing about them, but exits 1
when a socket failed to open, a notification did not arrive, the job did not send N
warnings, or the server logged an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import uvloop
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Subprotocol

from common import (
    DEFAULT_ADMIN_URL,
    HOST,
    PROFILE_RATE,
    BenchError,
    Connection,
    asyncpg_url,
    clear_redis,
    cpu_seconds,
    database_url,
    drop_database,
    nearest_rank,
    pointsmall_command,
    post_request,
    profile_command,
    py_spy,
    recreate_database,
    server,
    server_environment,
    summarise_profile,
    tail,
    worker_pid,
)
from pointsmall import clock
from pointsmall.auth import Role, issue_token
from pointsmall.config import Settings
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain.actors import Actor
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.runtime import ledger_rules

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
BENCH_DATABASE = "pointsmall_bench_notify"
PORT = 8096
WORKERS = 1
SOCKET_COUNTS = (5_000, 10_000)

SEED_CONCURRENCY = 50
SEED_POOL = 20
LOT_POINTS = 500
EXPIRES_IN = timedelta(days=2)  # within the 3-day warning threshold
SHOP = Actor(user_id="shop-backend", role="service", request_id="bench")
# the scheduler's lock (pointsmall.jobs.scheduler): held, the server's own tick skips the job
JOB_LOCK = "pointsmall:job:expiry-warnings"
JOB_LOCK_MS = 3_600_000
TOKEN_TTL = timedelta(hours=2)

OPEN_CONCURRENCY = 200
OPEN_TIMEOUT = 30.0
WARM_UP_SOCKETS = 100
WARM_UP_GRANTS = 20
FILE_MARGIN = 1_000  # descriptors beyond the sockets: the database, Redis, the log...

IDLE_SHARE = 0.05  # of a core: the server is idle below it...
IDLE_INTERVAL = 0.5  # ...over this many seconds...
IDLE_INTERVALS = 2  # ...this many times in a row
IDLE_LIMIT = 120.0

SAMPLES = 200  # one-user deliveries
DELIVERY_TIMEOUT = 10.0
QUIET_LIMIT = 10.0  # the burst is over when nothing arrived for this long after the job
CLOSE_CONCURRENCY = 500

PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIPTION = (
    "subscription { notifications { id __typename "
    "... on PointsEarned { amount } ... on PointsExpiringSoon { amount expiresAt } } }"
)
SUBSCRIBE = json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
PONG = json.dumps({"type": "pong"})
GRANT = (
    "mutation($input: GrantPointsInput!) { grantPoints(input: $input) { "
    "entry { id } errors { code } } }"
)


@dataclass
class Subscriber:
    """One socket, one user's subscription, what arrived on it."""

    number: int
    user_id: str
    socket: ClientConnection
    received: int = 0
    waiter: asyncio.Future[float] | None = None  # the next PointsEarned's arrival
    expiring_at: float | None = None  # the first PointsExpiringSoon's arrival (monotonic)
    expiring_wall: float = 0.0  # the same, as a Unix time: to compare with the stored row
    problem: str | None = None


@dataclass(frozen=True)
class Opening:
    subscribers: list[Subscriber]
    seconds: float
    failures: Counter[str]
    client_cpu_seconds: float
    server_cpu_seconds: float
    deflate: str  # the extension the server agreed to, or "none"


@dataclass(frozen=True)
class Burst:
    delivered: int
    delays_ms: list[float]
    job_seconds: float
    noop_job_seconds: float
    sent: str  # the job's own report
    server_cpu_seconds: float
    client_cpu_seconds: float
    rss_after_kib: int
    after_stored_ms: list[float]  # from each warning's row (created_at) to its arrival
    longest_gap_ms: float  # between consecutive arrivals, over all sockets
    profile: list[str]


@dataclass
class Result:
    sockets: int
    opened: int = 0
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    delays_ms: list[float] = field(default_factory=list)
    answers_ms: list[float] = field(default_factory=list)
    misses: int = 0
    burst: Burst | None = None


# --- seeding --------------------------------------------------------------------------


def user_id_of(sockets: int, number: int) -> str:
    return f"bench-notify-{sockets}-{number:05d}"


def warm_up_user_id(number: int) -> str:
    return f"bench-notify-warm-{number:03d}"


async def seed(bench_url: str, sockets: int, rules: LedgerRules) -> None:
    """`sockets` accounts with a lot expiring in EXPIRES_IN; the warm-up accounts, none."""
    await apply_migrations(bench_url)
    async with open_database(bench_url, pool_size=SEED_POOL):
        now = clock.now()
        numbers = iter(range(sockets))
        warm_ups = iter(range(WARM_UP_SOCKETS))

        async def worker() -> None:
            for number in numbers:
                account = await open_account(user_id_of(sockets, number))
                await entries.earn(
                    account.id,
                    LOT_POINTS,
                    LedgerRequest(actor=SHOP, idempotency_key="bench-lot", reason="bench lot"),
                    rules,
                    expires_at=now + EXPIRES_IN,
                )
            for number in warm_ups:
                await open_account(warm_up_user_id(number))

        await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))


async def hold_back_job(redis_url: str) -> None:
    """Claim the server's expiry-warnings tick, as a worker that just ran it would."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await redis.set(JOB_LOCK, "bench", px=JOB_LOCK_MS)
    finally:
        await redis.aclose()


# --- the server process ---------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for process {pid}")


async def wait_until_idle(pid: int) -> float:
    """Until the server is idle (see IDLE_*); the seconds waited."""
    began = time.monotonic()
    quiet = 0
    while quiet < IDLE_INTERVALS:
        if time.monotonic() - began > IDLE_LIMIT:
            raise BenchError(f"the server was still busy after {IDLE_LIMIT:.0f} s")
        used = cpu_seconds(pid)
        await asyncio.sleep(IDLE_INTERVAL)
        quiet = quiet + 1 if cpu_seconds(pid) - used < IDLE_SHARE * IDLE_INTERVAL else 0
    return time.monotonic() - began


# --- the websockets -------------------------------------------------------------------


async def open_one(number: int, user_id: str, token: str, deflate: bool) -> Subscriber:
    """A socket, authenticated, with the subscription sent."""
    socket = await connect(
        f"ws://{HOST}:{PORT}/graphql",
        subprotocols=[PROTOCOL],
        compression="deflate" if deflate else None,
        proxy=None,
        open_timeout=OPEN_TIMEOUT,
        ping_interval=None,  # the server pings (uvicorn, every 20 s); the client answers
        close_timeout=2,
    )
    try:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        ack = orjson.loads(await asyncio.wait_for(socket.recv(), OPEN_TIMEOUT))
        if ack.get("type") != "connection_ack":
            raise BenchError(f"connection_init answered {ack}")
        await socket.send(SUBSCRIBE)
    except BaseException:
        socket.transport.abort()
        raise
    return Subscriber(number, user_id, socket)


async def read(subscriber: Subscriber) -> None:
    """Record what arrives on the socket until it closes."""
    socket = subscriber.socket
    try:
        async for raw in socket:
            arrived = time.monotonic()
            message: dict[str, Any] = orjson.loads(raw)
            kind = message.get("type")
            if kind == "next" and not message["payload"].get("errors"):
                subscriber.received += 1
                typename = message["payload"]["data"]["notifications"]["__typename"]
                if typename == "PointsExpiringSoon":
                    if subscriber.expiring_at is None:
                        subscriber.expiring_at = arrived
                        subscriber.expiring_wall = time.time()
                elif subscriber.waiter is not None and not subscriber.waiter.done():
                    subscriber.waiter.set_result(arrived)
            elif kind == "ping":
                await socket.send(PONG)
            elif kind != "pong":
                subscriber.problem = subscriber.problem or f"{kind}: {str(raw)[:300]}"
    except ConnectionClosed as error:
        subscriber.problem = subscriber.problem or f"closed: {error}"


async def open_all(
    users: Sequence[tuple[str, str]], deflate: bool, readers: list[asyncio.Task[None]], pid: int
) -> Opening:
    """A socket for each (user id, token), OPEN_CONCURRENCY at a time; readers started."""
    pending = iter(enumerate(users))
    subscribers: list[Subscriber] = []
    failures: Counter[str] = Counter()

    async def worker() -> None:
        for number, (user_id, token) in pending:
            try:
                subscriber = await open_one(number, user_id, token, deflate)
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed, BenchError) as error:
                failures[f"{type(error).__name__}: {str(error)[:100]}"] += 1
                continue
            subscribers.append(subscriber)
            readers.append(asyncio.create_task(read(subscriber)))

    cpu = time.process_time()
    server_cpu = cpu_seconds(pid)
    began = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(OPEN_CONCURRENCY)))
    seconds = time.monotonic() - began
    server_cpu = cpu_seconds(pid) - server_cpu
    agreed = "none"
    if subscribers and subscribers[0].socket.response is not None:
        agreed = subscribers[0].socket.response.headers.get("Sec-WebSocket-Extensions", "none")
    subscribers.sort(key=lambda subscriber: subscriber.number)
    return Opening(subscribers, seconds, failures, time.process_time() - cpu, server_cpu, agreed)


async def close_all(
    subscribers: Sequence[Subscriber], readers: Iterable[asyncio.Task[None]]
) -> None:
    """Close politely, CLOSE_CONCURRENCY at a time; abort what does not close in time."""
    pending = iter(subscribers)

    async def worker() -> None:
        for subscriber in pending:
            try:
                await asyncio.wait_for(subscriber.socket.close(), 5)
            except (TimeoutError, OSError):
                subscriber.socket.transport.abort()

    await asyncio.gather(*(worker() for _ in range(CLOSE_CONCURRENCY)))
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


# --- deliveries -----------------------------------------------------------------------


def grant_request(service_token: str, user_id: str, key: str) -> bytes:
    variables = {
        "input": {"userId": user_id, "amount": 10, "reason": "bench grant", "idempotencyKey": key}
    }
    return post_request(
        PORT, "/graphql", service_token, json.dumps({"query": GRANT, "variables": variables})
    )


def grant_problem(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {body[:300]!r}"
    result = json.loads(body)
    if result.get("errors") or result["data"]["grantPoints"]["errors"]:
        return f"grantPoints answered {body[:300]!r}"
    return None


async def deliver_one(
    connection: Connection, subscriber: Subscriber, service_token: str, key: str
) -> tuple[float, float] | None:
    """Milliseconds from sending the grant to its notification's arrival, and to the HTTP
    answer; None if the notification did not arrive within DELIVERY_TIMEOUT."""
    waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    subscriber.waiter = waiter
    request = grant_request(service_token, subscriber.user_id, key)
    began = time.monotonic()
    try:
        problem = grant_problem(*await connection.exchange(request))
        answered = time.monotonic()
        if problem:
            raise BenchError(problem)
        arrived = await asyncio.wait_for(waiter, DELIVERY_TIMEOUT)
    except TimeoutError:
        return None
    finally:
        subscriber.waiter = None
    return (arrived - began) * 1000, (answered - began) * 1000


async def warm_up(
    tokens: Sequence[tuple[str, str]], service_token: str, deflate: bool, pid: int
) -> None:
    """Open WARM_UP_SOCKETS sockets, notify some of them, close them all."""
    readers: list[asyncio.Task[None]] = []
    opening = await open_all(tokens, deflate, readers, pid)
    connection = Connection(PORT)
    try:
        if opening.failures:
            raise BenchError(f"warm-up sockets failed to open: {dict(opening.failures)}")
        await asyncio.sleep(1)
        for number, subscriber in enumerate(opening.subscribers[:WARM_UP_GRANTS]):
            if await deliver_one(connection, subscriber, service_token, f"warm-{number}") is None:
                raise BenchError(f"the warm-up notification to {subscriber.user_id} never came")
    finally:
        connection.close()
        await close_all(opening.subscribers, readers)


async def one_user_deliveries(
    subscribers: Sequence[Subscriber], service_token: str, seed: int
) -> tuple[list[float], list[float], int]:
    """SAMPLES deliveries to random users, one at a time: the delays and the HTTP answers'
    (ms), the misses."""
    randoms = random.Random(seed)
    connection = Connection(PORT)
    delays: list[float] = []
    answers: list[float] = []
    misses = 0
    try:
        for sample in range(SAMPLES):
            subscriber = randoms.choice(subscribers)
            timing = await deliver_one(connection, subscriber, service_token, f"one-{sample}")
            if timing is None:
                misses += 1
            else:
                delays.append(timing[0])
                answers.append(timing[1])
    finally:
        connection.close()
    return delays, answers, misses


async def run_job(env: dict[str, str], *job: str, profile: Path | None = None) -> tuple[float, str]:
    """`pointsmall jobs ...` with the server's environment: wall seconds, its output (the
    last line). With `profile`, under py-spy (--idle: waiting on the network too)."""
    spy = [py_spy(), "record", "--idle", "--rate", str(PROFILE_RATE), "--format", "raw"]
    began = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *([*spy, "--output", str(profile), "--"] if profile else []),
        pointsmall_command(),
        "jobs",
        *job,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    seconds = time.monotonic() - began
    text = output.decode(errors="replace").strip()
    if process.returncode != 0:
        raise BenchError(f"jobs {' '.join(job)} failed ({process.returncode}):\n{text}")
    lines = [line for line in text.splitlines() if line and not line.startswith("py-spy>")]
    return seconds, lines[-1] if lines else ""


async def start_profile(pid: int, path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *profile_command(pid, path),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def stop_profile(process: asyncio.subprocess.Process, path: Path) -> list[str]:
    """Stop py-spy (it writes on SIGINT); the busiest functions, as lines."""
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()
        return ["py-spy did not stop"]
    return summarise_profile(path, process.returncode)


async def stored_at(bench_url: str) -> dict[str, float]:
    """When each user's expiry warning was stored (its created_at), as Unix times."""
    connection = await asyncpg.connect(asyncpg_url(bench_url))
    try:
        rows = await connection.fetch(
            "SELECT a.user_id, extract(epoch FROM n.created_at)::float8 FROM notification n "
            "JOIN account a ON a.id = n.account_id WHERE n.kind = 'POINTS_EXPIRING_SOON'"
        )
    finally:
        await connection.close()
    return {str(row[0]): float(row[1]) for row in rows}


def longest_gap(moments: Sequence[float]) -> float:
    ordered = sorted(moments)
    return max((b - a for a, b in pairwise(ordered)), default=0.0)


async def burst(
    subscribers: Sequence[Subscriber],
    env: dict[str, str],
    bench_url: str,
    pid: int,
    profile: Path | None,
) -> Burst:
    """The expiry warnings to everyone: see the module's docstring."""
    noop_seconds, _ = await run_job(env, "announce-matured")
    for subscriber in subscribers:
        subscriber.expiring_at = None
    spy = await start_profile(pid, profile) if profile else None
    found: list[str] = []
    try:
        server_cpu = cpu_seconds(pid)
        client_cpu = time.process_time()
        began = time.monotonic()
        job_profile = profile.with_name(f"job-{profile.name}") if profile else None
        job = asyncio.create_task(run_job(env, "warn-expiring", profile=job_profile))
        delivered = 0
        last_progress = began
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            count = sum(subscriber.expiring_at is not None for subscriber in subscribers)
            if count > delivered:
                delivered, last_progress = count, now
            if job.done() and (delivered == len(subscribers) or now - last_progress > QUIET_LIMIT):
                break
        job_seconds, sent = job.result()
        server_cpu = cpu_seconds(pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        if spy is not None and profile is not None:
            found = await stop_profile(spy, profile)
            job_lines = summarise_profile(profile.with_name(f"job-{profile.name}"), None)
            found += ["the job's process:", *(f"  {line}" for line in job_lines)]
    arrived = [subscriber for subscriber in subscribers if subscriber.expiring_at is not None]
    delays = [(subscriber.expiring_at or 0.0) - began for subscriber in arrived]
    stored = await stored_at(bench_url)
    after_stored = [
        (subscriber.expiring_wall - stored[subscriber.user_id]) * 1000
        for subscriber in arrived
        if subscriber.user_id in stored
    ]
    return Burst(
        delivered=len(delays),
        delays_ms=[delay * 1000 for delay in delays],
        job_seconds=job_seconds,
        noop_job_seconds=noop_seconds,
        sent=sent,
        server_cpu_seconds=server_cpu,
        client_cpu_seconds=client_cpu,
        rss_after_kib=rss_kib(pid),
        after_stored_ms=after_stored,
        longest_gap_ms=longest_gap(delays) * 1000,
        profile=found,
    )


# --- a round --------------------------------------------------------------------------


async def measure(
    sockets: int,
    users: Sequence[tuple[str, str]],
    warm_ups: Sequence[tuple[str, str]],
    service_token: str,
    env: dict[str, str],
    pid: int,
    deflate: bool,
    profile: Path | None,
) -> tuple[Result, list[str]]:
    result = Result(sockets)
    problems: list[str] = []
    await warm_up(warm_ups, service_token, deflate, pid)
    await wait_until_idle(pid)
    result.rss_before_kib = rss_kib(pid)
    print(f"  warmed up: server RSS {result.rss_before_kib / 1024:.1f} MiB", flush=True)

    readers: list[asyncio.Task[None]] = []
    opening = await open_all(users, deflate, readers, pid)
    subscribers = opening.subscribers
    try:
        result.opened = len(subscribers)
        idle = await wait_until_idle(pid)
        result.rss_after_kib = rss_kib(pid)
        print(
            f"  opened {len(subscribers):,}/{sockets:,} sockets in {opening.seconds:.1f} s "
            f"({len(subscribers) / opening.seconds:.0f}/s; CPU: server "
            f"{opening.server_cpu_seconds / opening.seconds:.0%}, client "
            f"{opening.client_cpu_seconds / opening.seconds:.0%}; extension: "
            f"{opening.deflate}); server idle {idle:.1f} s later; RSS "
            f"{result.rss_after_kib / 1024:.1f} MiB",
            flush=True,
        )
        if opening.failures:
            problems.append(f"{sockets:,} sockets: failed to open: {dict(opening.failures)}")
        if not subscribers:
            raise BenchError("no socket opened")

        result.delays_ms, result.answers_ms, result.misses = await one_user_deliveries(
            subscribers, service_token, sockets
        )
        delays = result.delays_ms or [float("nan")]
        answers = result.answers_ms or [float("nan")]
        print(
            f"  one-user delivery, {SAMPLES} in turn: p50 {statistics.median(delays):.1f} ms, "
            f"p99 {nearest_rank(delays, 0.99):.1f} ms, max {max(delays):.1f} ms (the grant's "
            f"HTTP answer: p50 {statistics.median(answers):.1f} ms, p99 "
            f"{nearest_rank(answers, 0.99):.1f} ms); "
            f"{result.misses} not delivered within {DELIVERY_TIMEOUT:.0f} s",
            flush=True,
        )
        if result.misses:
            problems.append(f"{sockets:,} sockets: {result.misses} grants' notifications lost")

        path = profile / f"burst-{sockets}.txt" if profile else None
        done = await burst(subscribers, env, env["DATABASE_URL"], pid, path)
        result.burst = done
        print(
            f"  burst: {done.delivered:,}/{len(subscribers):,} PointsExpiringSoon delivered, "
            f"job {done.job_seconds:.1f} s ({done.sent!r}; a no-op job "
            f"{done.noop_job_seconds:.1f} s); server CPU {done.server_cpu_seconds:.1f} s, "
            f"client CPU {done.client_cpu_seconds:.1f} s; server RSS "
            f"{done.rss_after_kib / 1024:.1f} MiB after",
            flush=True,
        )
        print(f"  burst: {fan_out(done)}", flush=True)
        for line in done.profile:
            print(f"  {line}", flush=True)
        if done.delivered != len(subscribers):
            problems.append(
                f"{sockets:,} sockets: {len(subscribers) - done.delivered:,} expiry warnings "
                f"not delivered"
            )
        if done.sent != f"sent {sockets} expiry warnings":
            problems.append(f"{sockets:,} sockets: the job said {done.sent!r}")
        troubled = Counter(
            subscriber.problem.split(":", 1)[0] for subscriber in subscribers if subscriber.problem
        )
        if troubled:
            problems.append(f"{sockets:,} sockets: unexpected messages: {dict(troubled)}")
    finally:
        await close_all(subscribers, readers)
    return result, problems


def run_round(
    sockets: int,
    admin_url: str,
    redis_url: str,
    directory: Path,
    deflate: bool,
    profile: Path | None,
) -> tuple[Result, list[str], str, str]:
    """A fresh database of `sockets` users, a server, the measures; the versions."""
    bench_url = database_url(admin_url, BENCH_DATABASE)
    env = server_environment(bench_url, redis_url)
    settings = Settings.from_env(env)
    postgres = asyncio.run(recreate_database(admin_url, BENCH_DATABASE))
    redis = asyncio.run(clear_redis(redis_url))
    asyncio.run(hold_back_job(redis_url))
    print(f"{sockets:,} sockets: seeding {sockets:,} accounts with expiring points", flush=True)
    began = time.monotonic()
    asyncio.run(seed(bench_url, sockets, ledger_rules(settings)))
    print(f"  seeded in {time.monotonic() - began:.1f} s", flush=True)
    users = [
        (user_id, issue_token(settings, user_id, [Role.USER], TOKEN_TTL))
        for user_id in (user_id_of(sockets, number) for number in range(sockets))
    ]
    warm_ups = [
        (user_id, issue_token(settings, user_id, [Role.USER], TOKEN_TTL))
        for user_id in (warm_up_user_id(number) for number in range(WARM_UP_SOCKETS))
    ]
    service_token = issue_token(settings, "shop-backend", [Role.SERVICE], TOKEN_TTL)
    log_path = directory / f"server-{sockets}.log"
    with server(PORT, WORKERS, env, log_path) as process:
        pid = worker_pid(process.pid)
        try:
            result, problems = uvloop.run(
                measure(sockets, users, warm_ups, service_token, env, pid, deflate, profile)
            )
        except BenchError as error:
            raise BenchError(f"{error}\nthe server's log:\n{tail(log_path)}") from None
    errors = [line for line in log_path.read_text(errors="replace").splitlines() if "ERROR" in line]
    if errors:
        problems.append(
            f"{sockets:,} sockets: {len(errors)} errors in the server's log: {errors[0]}"
        )
    return result, problems, postgres, redis


# --- the whole run --------------------------------------------------------------------


def raise_file_limit(needed: int) -> tuple[int, int]:
    """Soft limit of open files up to the hard one (inherited by the server); both."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise BenchError(
            f"the hard limit of open files is {hard:,}: {needed:,} are needed (one per socket "
            f"in this process and in the server, and {FILE_MARGIN:,} more); raise it "
            f"(ulimit -Hn, as root) or pass --sockets with smaller numbers"
        )
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def fan_out(done: Burst) -> str:
    """What the server adds to the job's pace: from each row stored to its arrival."""
    lags = done.after_stored_ms or [float("nan")]
    return (
        f"from each warning's row to its arrival p50 {statistics.median(lags):.0f} ms "
        f"p99 {nearest_rank(lags, 0.99):.0f} ms max {max(lags):.0f} ms; longest gap between "
        f"arrivals {done.longest_gap_ms:.0f} ms"
    )


def row(result: Result, width: int) -> str:
    label = f"{result.sockets:,} sockets"
    grown = result.rss_after_kib - result.rss_before_kib
    delays = result.delays_ms or [float("nan")]
    line = (
        f"{label:<{width}}: RSS {grown / 1024:+.0f} MiB ({grown / max(result.opened, 1):.1f} "
        f"KiB/connection)  one-user delivery p50 {statistics.median(delays):.1f} ms "
        f"p99 {nearest_rank(delays, 0.99):.1f} ms"
    )
    done = result.burst
    if done is None:
        return line
    burst_delays = done.delays_ms or [float("nan")]
    return (
        f"{line}  burst: {done.delivered:,}/{result.opened:,} delivered, last after "
        f"{max(burst_delays) / 1000:.1f} s, p50 {statistics.median(burst_delays):.0f} ms "
        f"p99 {nearest_rank(burst_delays, 0.99):.0f} ms (job {done.job_seconds:.1f} s)\n"
        f"{'':<{width}}  burst, {fan_out(done)}"
    )


def table(results: Sequence[Result], postgres: str, redis: str, deflate: bool) -> str:
    cores = os.cpu_count() or 1
    extension = "permessage-deflate offered" if deflate else "no compression"
    head = (
        f"pointsmall notifications benchmark (PostgreSQL {postgres}, Redis {redis}, {cores} "
        f"cores, {WORKERS} worker, Redis broker; {extension})"
    )
    width = max(len(f"{result.sockets:,} sockets") for result in results)
    return "\n".join([head, *(row(result, width) for result in results)])


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="the notifications benchmark")
    parser.add_argument(
        "--sockets",
        default=",".join(str(count) for count in SOCKET_COUNTS),
        help="comma-separated socket counts (default: %(default)s)",
    )
    parser.add_argument("--no-deflate", action="store_true", help="offer no compression")
    parser.add_argument("--profile", type=Path, help="py-spy the server in each burst into DIR")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    started = time.monotonic()
    counts = [int(count) for count in args.sockets.split(",")]
    deflate = not args.no_deflate
    admin_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_ADMIN_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    results: list[Result] = []
    problems: list[str] = []
    postgres = redis = "?"
    try:
        soft, hard = raise_file_limit(max(counts) + WARM_UP_SOCKETS + FILE_MARGIN)
        print(f"open files: soft limit {soft:,}, hard limit {hard:,}", flush=True)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="pointsmall-bench-notify-") as directory:
            for sockets in counts:
                result, found, postgres, redis = run_round(
                    sockets, admin_url, redis_url, Path(directory), deflate, args.profile
                )
                results.append(result)
                problems += found
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(drop_database(admin_url, BENCH_DATABASE))
        asyncio.run(clear_redis(redis_url))
    print()
    print(table(results, postgres, redis, deflate))
    print(f"total run time {time.monotonic() - started:.0f} s")
    for problem in problems:
        print(f"PROBLEM {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
