"""What the benchmarks share: a fresh database, Redis, a `pointsmall serve`, wrk, a minimal
HTTP/1.1 client, the table, the server process's CPU and py-spy profiles of it.

Each benchmark names its own database, Redis database and port, so they never meet.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[1]
# POSTs a GraphQL query, rotating bearer tokens (see its header, and `write_requests`)
QUERY_LUA = Path(__file__).resolve().with_name("me.lua")
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
HOST = "127.0.0.1"
# the server's keys; the bench's Redis database is left as it found it otherwise
REDIS_KEYS = "pointsmall:*"

CLIENTS = 50
WRK_THREADS = 2
WARM_UP_SECONDS = 3
RUN_SECONDS = 5
WRK_RUNS = 5


class BenchError(Exception):
    """Something other than speed went wrong: the message says what."""


@dataclass(frozen=True)
class Row:
    """A line of the table; `rate` None leaves the throughput column blank."""

    label: str
    rate: float | None
    unit: str
    p50_ms: float
    p99_ms: float
    note: str = ""


@dataclass(frozen=True)
class WrkRun:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: dict[str, int]
    output: str = field(default="", repr=False)  # wrk's, with what its script printed


# --- setup and teardown ---------------------------------------------------------------


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def asyncpg_url(url: str) -> str:
    return re.sub(r"^(asyncpg|postgresql)://", "postgres://", url)


async def recreate_database(admin_url: str, name: str) -> str:
    """Drop (if present) and create database `name`; PostgreSQL's version."""
    connection = await asyncpg.connect(asyncpg_url(admin_url))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {name}")
        version: str = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return version.split()[0]


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(asyncpg_url(admin_url))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await connection.close()


async def clear_redis(redis_url: str) -> str:
    """Delete the server's keys from the bench's Redis database; Redis's version."""
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = [key async for key in redis.scan_iter(match=REDIS_KEYS)]
        if keys:
            await redis.delete(*keys)
        info = await redis.info("server")
    finally:
        await redis.aclose()
    return str(info["redis_version"])


class Target(NamedTuple):
    """Where a benchmark runs: its admin database (to create and drop its own), its own
    database, its Redis, and the server's environment for them."""

    admin_url: str
    redis_url: str
    bench_url: str
    env: dict[str, str]


def bench_target(database: str, default_redis_url: str) -> Target:
    """The target from BENCH_DATABASE_URL and BENCH_REDIS_URL (or the defaults)."""
    admin_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_ADMIN_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", default_redis_url)
    bench_url = database_url(admin_url, database)
    return Target(admin_url, redis_url, bench_url, server_environment(bench_url, redis_url))


def wrk_missing() -> bool:
    """Whether wrk is missing (and the user told how to install it)."""
    if shutil.which("wrk") is not None:
        return False
    print("install wrk: apt-get install wrk", file=sys.stderr)
    return True


def server_environment(bench_url: str, redis_url: str) -> dict[str, str]:
    """Our environment for a development server on the bench's database and Redis."""
    env = dict(os.environ)
    for name in ("POINTSMALL_ENV", "JWT_SECRET", "JWT_PUBLIC_KEY", "JWT_ISSUER", "JWT_AUDIENCE"):
        env.pop(name, None)
    env.update(DATABASE_URL=bench_url, REDIS_URL=redis_url, LOG_LEVEL="WARNING", RATE_LIMITS="off")
    return env


def pointsmall_command() -> str:
    for candidate in (
        ROOT / ".venv" / "bin" / "pointsmall",
        Path(sys.executable).with_name("pointsmall"),
    ):
        if candidate.exists():
            return str(candidate)
    raise BenchError("no `pointsmall` command: pip install -e '.[dev]' in .venv first")


# --- the server -----------------------------------------------------------------------


def base_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


@contextmanager
def server(
    port: int, workers: int, env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`pointsmall serve` on `port` until the block ends; always stopped."""
    command = [pointsmall_command(), "serve", "--host", HOST, "--port", str(port)]
    with serving([*command, "--workers", str(workers)], port, env, log_path) as process:
        yield process


@contextmanager
def serving(
    command: Sequence[str], port: int, env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A server `command` listening on `port`, ready (GET /readyz answers 200), until the
    block ends; always stopped, with the processes it started."""
    deadline = time.monotonic() + 10
    while port_in_use(port):
        if time.monotonic() > deadline:
            raise BenchError(f"port {port} is in use by another process")
        time.sleep(0.2)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers stop with it
        )
    try:
        wait_until_ready(process, log_path, port)
        yield process
    finally:
        stop(process)


def wait_until_ready(process: subprocess.Popen[bytes], log_path: Path, port: int) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base_url(port), timeout=2) as client:
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


# --- a minimal HTTP/1.1 client --------------------------------------------------------


def post_request(port: int, path: str, token: str, body: str) -> bytes:
    """An HTTP/1.1 keep-alive POST of a JSON body with a bearer token, ready to write."""
    data = body.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


class Connection:
    """One keep-alive connection to the server on `port`, one request at a time.

    For many concurrent clients from one process: httpx costs 1-3 ms of CPU a request at
    200 connections (its pool's bookkeeping grows with them), enough to set the pace on a
    machine the server shares; this costs some 20 us. The server answers with a
    Content-Length, never chunked.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """(status, body) of the request; on a broken connection, the next call reconnects."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(HOST, self.port)
        reader, writer = self.streams
        try:
            writer.write(request)
            await writer.drain()
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            status = int(head.split(" ", 2)[1])
            length = re.search(r"\r\ncontent-length: *(\d+)", head)
            if length is None:
                raise BenchError(f"a response without a Content-Length: {head!r}")
            body = await reader.readexactly(int(length.group(1)))
            if "\r\nconnection: close" in head:
                self.close()
        except BaseException:
            self.close()
            raise
        return status, body

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


# --- wrk ------------------------------------------------------------------------------


def write_requests(path: Path, body: str, tokens: Sequence[str]) -> Path:
    """The Lua file QUERY_LUA loads: the request body and the bearer tokens to rotate."""
    assert "]==]" not in body
    lines = ["return {", f"  body = [==[{body}]==],", "  tokens = {"]
    lines += [f'    "{token}",' for token in tokens]
    lines += ["  },", "}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def read_tokens(path: Path) -> list[str]:
    return re.findall(r'^\s+"([^"]+)",$', path.read_text(encoding="utf-8"), re.MULTILINE)


def run_wrk(
    port: int,
    seconds: int,
    requests_file: Path,
    clients: int = CLIENTS,
    script: Path = QUERY_LUA,
    script_args: Sequence[str] = (),
    timeout: int | None = None,
) -> WrkRun:
    """wrk against /graphql with `script`, given `requests_file` and `script_args`;
    `timeout`: seconds before wrk gives up on an answer (its own default: 2)."""
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{clients}",
        f"-d{seconds}s",
        *([f"--timeout={timeout}s"] if timeout else []),
        "--latency",
        "-s",
        str(script),
        f"{base_url(port)}/graphql",
        "--",
        str(requests_file),
        *script_args,
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
        output=output,
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


def wrk_runs(port: int, requests_file: Path, clients: int = CLIENTS) -> list[WrkRun]:
    """A warm-up, then WRK_RUNS runs of RUN_SECONDS, each printed as it ends."""
    run_wrk(port, WARM_UP_SECONDS, requests_file, clients)
    runs: list[WrkRun] = []
    for number in range(WRK_RUNS):
        run = run_wrk(port, RUN_SECONDS, requests_file, clients)
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
    return runs


def wrk_row(label: str, runs: Sequence[WrkRun]) -> Row:
    """The medians of the runs."""
    return Row(
        label=label,
        rate=statistics.median(run.requests_per_second for run in runs),
        unit="req/s",
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
    )


# --- figures --------------------------------------------------------------------------


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def workers_label(workers: int) -> str:
    return f"{workers} worker{'s' if workers > 1 else ''}"


def format_rows(rows: Sequence[Row]) -> list[str]:
    width = max(len(row.label) for row in rows)
    unit_width = max(len(row.unit) for row in rows)
    lines = []
    for row in rows:
        rate = (
            f"{row.rate:8.1f} {row.unit:<{unit_width}}"
            if row.rate is not None
            else " " * (9 + unit_width)
        )
        line = f"{row.label:<{width}} : {rate}  p50 {row.p50_ms:6.1f} ms  p99 {row.p99_ms:7.1f} ms"
        lines.append(f"{line}  {row.note}" if row.note else line)
    return lines


# --- the server's process -------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on: the command's name may hold spaces."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def worker_pid(leader: int) -> int:
    """The process serving requests: with one worker, uvicorn serves in its main process;
    otherwise its children in the server's process group would."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == leader:
            continue
        try:
            fields = proc_fields(int(entry.name))
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[2]) == leader and b"resource_tracker" not in command:
            children.append(int(entry.name))
    if len(children) > 1:
        raise BenchError(f"the server runs {len(children)} worker processes, not one")
    return children[0] if children else leader


def cpu_seconds(pid: int) -> float:
    fields = proc_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


# --- py-spy ---------------------------------------------------------------------------

PROFILE_RATE = 100
# where a file's path is cut: what follows names the package (`strawberry/...`,
# `pointsmall/...`, `asyncio/...`)
PATH_MARKERS = ("/site-packages/", "/dist-packages/", "/src/", "/lib/python3.11/", "/lib/python3/")


def py_spy() -> str:
    spy = ROOT / ".venv" / "bin" / "py-spy"
    return str(spy if spy.exists() else "py-spy")


def profile_command(pid: int, path: Path, native: bool = True) -> list[str]:
    """`py-spy record` of process `pid` into `path`, collapsed stacks (--format raw), until
    it gets SIGINT; --native: the C frames too (the garbage collector's, orjson's)."""
    return [
        py_spy(),
        "record",
        *(["--native"] if native else []),
        "--pid",
        str(pid),
        "--rate",
        str(PROFILE_RATE),
        "--format",
        "raw",
        "--output",
        str(path),
    ]


def short_frame(frame: str) -> str:
    """`function (/a/b/site-packages/pkg/module.py:line)` or `function (pkg/module.py:line)`
    -> `function (pkg/module.py)`."""
    name, _, where = frame.partition(" (")
    where = where.removesuffix(")")
    file, _, line = where.rpartition(":")
    if not line.isdigit():
        file = where
    for marker in PATH_MARKERS:
        if marker in file:
            file = file.rsplit(marker, 1)[1]
            break
    else:
        if file.startswith("/"):  # py-spy names packages' files from their package already
            file = file.rsplit("/", 1)[-1]
    return f"{name} ({file})" if file else name


def package_of(frame: str) -> str:
    """`name (pkg/module.py)` -> `pkg`; native code by its file: `C (loop.c)`."""
    where = frame.rpartition(" (")[2].removesuffix(")")
    if where.endswith((".py", ">")):
        return where.split("/", 1)[0]
    return f"C ({where})" if where else "C"


@dataclass
class Profile:
    """A --format raw profile, frames shortened: samples by frame, own and inclusive."""

    total: int = 0
    own: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)
    # (caller, callee) of Python frames, adjacent once native frames are left out
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)

    @classmethod
    def read(cls, path: Path) -> Profile:
        profile = cls()
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            samples = int(count)
            profile.total += samples
            frames = [short_frame(frame) for frame in stack.split(";")]
            profile.own[frames[-1]] += samples
            for frame in set(frames):
                profile.inclusive[frame] += samples
            python = [frame for frame in frames if frame.endswith(".py)")]
            for call in set(pairwise(python)):
                profile.calls[call] += samples
        return profile

    def wrappers(self, share: float = 0.95) -> set[str]:
        """Frames that hand nearly all their time to one callee (middleware, a chain of
        awaits): they repeat what that callee says."""
        busiest: Counter[str] = Counter()
        for (caller, _), samples in self.calls.items():
            busiest[caller] = max(busiest[caller], samples)
        return {
            frame for frame, samples in busiest.items() if samples >= share * self.inclusive[frame]
        }

    def by_package(self, top: int = 10) -> str:
        packages: Counter[str] = Counter()
        for frame, samples in self.own.items():
            packages[package_of(frame)] += samples
        return ", ".join(
            f"{name} {count / self.total:.0%}" for name, count in packages.most_common(top)
        )


def summarise_profile(
    path: Path,
    status: int | None,
    top: int = 12,
    inclusive_top: int | None = None,
    by_package: bool = False,
    skip_wrappers: bool = False,
) -> list[str]:
    """The busiest frames of a --format raw profile: `top` by own time, `inclusive_top`
    (default twice `top`) Python frames by the samples they are in (with their callees),
    those under 90% of them; `by_package`: own time summed by package too;
    `skip_wrappers`: without the frames that pass nearly all their time to one callee."""
    if not path.exists():
        return [f"py-spy wrote nothing (exit {status})"]
    profile = Profile.read(path)
    total = profile.total
    if not total:
        return ["py-spy: no samples"]
    lines = [f"py-spy: {total:,} samples at {PROFILE_RATE} Hz ({path})"]
    if by_package:
        lines.append(f"  own time by package: {profile.by_package()}")
    lines.append("  own time:")
    lines += [f"    {count / total:6.1%}  {frame}" for frame, count in profile.own.most_common(top)]
    # the frames under every stack (the event loop, uvicorn's start-up) say nothing
    skipped = profile.wrappers() if skip_wrappers else set()
    below = [
        (frame, count)
        for frame, count in profile.inclusive.most_common()
        if count < 0.9 * total and frame.endswith(".py)") and frame not in skipped
    ]
    lines.append(
        "  including callees (Python frames in under 90% of the samples"
        + (", wrappers left out):" if skip_wrappers else "):")
    )
    shown = below[: top * 2 if inclusive_top is None else inclusive_top]
    lines += [f"    {count / total:6.1%}  {frame}" for frame, count in shown]
    return lines
