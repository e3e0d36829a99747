"""Fixtures: a database and Redis for the pass's backend, a movable clock, and GraphQL
clients for an anonymous caller, a user, an admin and the shop's back end.

In the server pass the servers must be there: a missing URL or an unreachable server fails
the run; nothing is skipped for want of them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import anyio
import asyncpg
import httpx
import hypothesis  # noqa: F401 - imported up front: its plugin's import at the session's

# end, after deep recursion elsewhere, trips CPython 3.11.7's "AST constructor recursion
# depth mismatch" and fails a run whose tests all passed
import pytest
import pytest_asyncio
import uvicorn
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from tortoise.context import TortoiseContext

from pointsmall import clock as service_clock
from pointsmall.app import create_app
from pointsmall.clock import MovableClock
from pointsmall.config import Settings
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain.campaigns.lifecycle import forget_campaigns
from pointsmall.domain.mall.cards import forget_catalogue
from pointsmall.domain.risk.rules import forget_rules
from pointsmall.redis_client import RedisClient, redis_for
from pointsmall.runtime import Runtime, open_runtime
from pointsmall.serving import server_options
from tests.api import Api

# anyio imports its file module lazily, on the first file served (the demo's pictures):
# imported then, under pytest's assertion rewriting after the deep recursion of a long
# test, CPython 3.11.7 may fail to build its AST ("AST constructor recursion depth
# mismatch", as with hypothesis above). Imported up front instead.
anyio.open_file  # noqa: B018

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

# Tortoise compiles SQL for one dialect onto the (global) model classes, so one process
# tests one backend: `make test` runs the suite on "embedded" (SQLite + the in-process Redis
# stand-in), then again on "server" (TEST_DATABASE_URL + TEST_REDIS_URL) when they are set.
BACKEND = os.environ.get("POINTSMALL_TEST_BACKEND", "embedded")
if BACKEND not in ("embedded", "server"):
    raise pytest.UsageError("POINTSMALL_TEST_BACKEND must be embedded or server")


def required_program(name: str, why: str) -> str:
    """The path of a program some tests need: skipped with a message where it is missing,
    failed under CI (where the machine must have it)."""
    found = os.environ.get(name.upper()) or shutil.which(name)
    if found is None:
        message = f"{name} is missing: {why}"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def server_url(name: str) -> str:
    url = os.environ.get(name)
    if not url:
        pytest.fail(f"the server backend needs {name}")
    return url


def pytest_report_header() -> str:
    if BACKEND == "embedded":
        return "pointsmall backend: embedded (SQLite file, in-process Redis stand-in)"
    return "pointsmall backend: server (TEST_DATABASE_URL, TEST_REDIS_URL)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Concurrency tests belong to the server pass (PostgreSQL): the embedded pass leaves
    them out (deselected, not skipped); the server pass runs them, and fails without it."""
    if BACKEND == "server":
        return
    server_only = [item for item in items if "postgres" in item.keywords]
    if server_only:
        config.hook.pytest_deselected(items=server_only)
        items[:] = [item for item in items if "postgres" not in item.keywords]


async def _fresh_postgres_database(admin_url: str) -> tuple[str, str]:
    """Create a database of our own next to the one in the URL; return its URL and name."""
    name = f"pointsmall_test_{uuid.uuid4().hex[:10]}"
    try:
        connection = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {error}")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", name


async def _drop_postgres_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest_asyncio.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A migrated database of the session's own."""
    if BACKEND == "embedded":
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        await apply_migrations(url)
        yield url
        return
    admin_url = server_url("TEST_DATABASE_URL")
    url, name = await _fresh_postgres_database(admin_url)
    await apply_migrations(url)
    yield url
    await _drop_postgres_database(admin_url, name)


@pytest_asyncio.fixture(scope="session")
async def database_context(database_url: str) -> AsyncIterator[TortoiseContext]:
    async with open_database(database_url, pool_size=20) as context:
        yield context


async def _empty_tables(context: TortoiseContext) -> None:
    connection = context.db()
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'tortoise_migrations'"
        )
        tables = ", ".join(f'"{row["tablename"]}"' for row in rows)
        await connection.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    else:
        _, rows = await connection.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT IN ('tortoise_migrations', 'sqlite_sequence')"
        )
        statements = ["PRAGMA foreign_keys = OFF"]
        statements += [f'DELETE FROM "{row["name"]}"' for row in rows]
        statements += ["DELETE FROM sqlite_sequence", "PRAGMA foreign_keys = ON"]
        await connection.execute_script(";\n".join(statements))


@pytest.fixture
def empty_database(database_context: TortoiseContext) -> Callable[[], Awaitable[None]]:
    """Empty the tables again, for tests that run many examples (hypothesis)."""
    return lambda: _empty_tables(database_context)


@pytest_asyncio.fixture
async def db(database_context: TortoiseContext) -> AsyncIterator[str]:
    """An empty database; yields its dialect ("sqlite" or "postgres")."""
    database_context.__enter__()
    try:
        await _empty_tables(database_context)
        forget_catalogue()
        forget_campaigns()
        forget_rules()
        yield database_context.db().capabilities.dialect
    finally:
        database_context.__exit__(None, None, None)


@pytest.fixture
def clock() -> Iterator[MovableClock]:
    moving = MovableClock(START)
    previous = service_clock.use_clock(moving)
    yield moving
    service_clock.use_clock(previous)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest_asyncio.fixture
async def redis() -> AsyncIterator[RedisClient]:
    """The pass's Redis, emptied: the stand-in, or TEST_REDIS_URL's database in the server pass."""
    url = None if BACKEND == "embedded" else server_url("TEST_REDIS_URL")
    client = redis_for(url)
    try:
        await client.flushdb()
    except (OSError, RedisError) as error:
        pytest.fail(f"Redis at TEST_REDIS_URL is unreachable: {error}")
    yield client
    await client.aclose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    redis_url = None if BACKEND == "embedded" else server_url("TEST_REDIS_URL")
    # Tests drive the API far harder than any user from one address: no rate limits here,
    # except in the tests of rate limits (tests/test_rate_limits.py), which set their own.
    return Settings(
        environment="test", database_url=database_url, redis_url=redis_url, rate_limits=None
    )


@pytest_asyncio.fixture
async def runtime(db: str, redis: Redis, settings: Settings) -> AsyncIterator[Runtime]:
    async with open_runtime(settings, database=False, redis=redis) as opened:
        yield opened


@pytest_asyncio.fixture
async def api(runtime: Runtime) -> AsyncIterator[Api]:
    app = create_app(runtime.settings, runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield Api(http, runtime.settings)


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """`app` served by uvicorn in this process and loop, as `pointsmall serve` serves it;
    yields `host:port`."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", **server_options()
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture
async def live_server(runtime: Runtime) -> AsyncIterator[str]:
    """The app served by uvicorn in this process and loop; yields `host:port`."""
    async with serving(create_app(runtime.settings, runtime)) as address:
        yield address


T = TypeVar("T")


class SqlLog(logging.Handler):
    """Every SQL statement tortoise sends, for tests that count queries."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and record.args:
            self.statements.append(str(record.args[0]))

    async def count(self, work: Awaitable[T]) -> tuple[T, int]:
        """What `work` returned, and how many statements it sent."""
        self.statements.clear()
        result = await work
        return result, len(self.statements)


@pytest.fixture
def sql_log() -> Iterator[SqlLog]:
    log = SqlLog()
    logger = logging.getLogger("tortoise.db_client")
    level = logger.level
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    yield log
    logger.removeHandler(log)
    logger.setLevel(level)
