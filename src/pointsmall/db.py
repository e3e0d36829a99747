"""The database: tortoise configuration, opening and closing, migrations."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

APP = "pointsmall"


def tortoise_config(
    database_url: str, *, pool_size: int = 10, statement_cache_size: int = 100
) -> dict[str, Any]:
    """`statement_cache_size` (PostgreSQL): prepared statements asyncpg keeps per
    connection; 0 behind a transaction-mode pooler (PgBouncer), where a connection's
    prepared statements may belong to another client's session."""
    connection: str | dict[str, Any] = database_url
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        connection = _postgres_connection(database_url, pool_size, statement_cache_size)
    elif database_url.startswith("sqlite://"):
        connection = _sqlite_connection(database_url)
    return {
        "connections": {"default": connection},
        "apps": {
            APP: {
                "models": ["pointsmall.models"],
                "migrations": "pointsmall.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _postgres_connection(
    database_url: str, pool_size: int, statement_cache_size: int
) -> dict[str, Any]:
    from tortoise.backends.base.config_generator import expand_db_url

    url = database_url.replace("postgresql://", "postgres://", 1).replace(
        "asyncpg://", "postgres://", 1
    )
    config: dict[str, Any] = expand_db_url(url)
    config["engine"] = "pointsmall.backends.postgres"  # tortoise's, fixed: see there
    config["credentials"].setdefault("minsize", 1)
    config["credentials"].setdefault("maxsize", pool_size)
    config["credentials"]["statement_cache_size"] = statement_cache_size
    return config


def _sqlite_connection(database_url: str) -> dict[str, Any]:
    from tortoise.backends.base.config_generator import expand_db_url

    config: dict[str, Any] = expand_db_url(database_url)
    config["engine"] = "pointsmall.backends.sqlite"  # tortoise's, fixed: see there
    return config


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the folder of an embedded SQLite file (`var/` by default)."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = database_url.removeprefix("sqlite://")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)


async def apply_migrations(database_url: str) -> None:
    ensure_sqlite_directory(database_url)
    try:
        await migrate(config=tortoise_config(database_url, pool_size=2))
    finally:  # an open SQLite connection's thread would keep the process alive
        await Tortoise.close_connections()


@asynccontextmanager
async def open_database(
    database_url: str,
    *,
    pool_size: int = 10,
    statement_cache_size: int = 100,
    global_fallback: bool = False,
) -> AsyncIterator[TortoiseContext]:
    """Connect for the duration of the block.

    `global_fallback` makes the connections visible to every task of the process, which the
    server needs: uvicorn runs the lifespan and the requests in different tasks, and tortoise
    keeps its state in a context variable.
    """
    ensure_sqlite_directory(database_url)
    async with TortoiseContext() as context:
        await context.init(
            config=tortoise_config(
                database_url, pool_size=pool_size, statement_cache_size=statement_cache_size
            ),
            _enable_global_fallback=global_fallback,
        )
        yield context


def __getattr__(name: str) -> Any:
    """`TORTOISE_ORM`, for tortoise's own CLI: `tortoise -c pointsmall.db.TORTOISE_ORM ...`."""
    if name == "TORTOISE_ORM":
        from pointsmall.config import Settings

        return tortoise_config(Settings.from_env().database_url)
    raise AttributeError(name)


@dataclass(frozen=True)
class Check:
    """A CHECK constraint a migration adds (see `add_checks`)."""

    table: str
    name: str
    condition: str
    columns: tuple[str, ...]


async def add_checks(schema_editor: Any, checks: Sequence[Check]) -> None:
    """Add CHECK constraints on PostgreSQL; on SQLite, triggers that abort the same writes.

    SQLite cannot add a constraint to an existing table, and tortoise's table rebuild would
    drop the table's unique constraints, so triggers it is.
    """
    client = schema_editor.client
    for check in checks:
        if client.capabilities.dialect == "sqlite":
            condition = re.sub(
                r"\b(" + "|".join(check.columns) + r")\b", r"NEW.\1", check.condition
            )
            for event in ("INSERT", "UPDATE"):
                await client.execute_script(
                    f'CREATE TRIGGER "{check.name}_{event.lower()}" BEFORE {event} '
                    f'ON "{check.table}" WHEN NOT ({condition}) '
                    f"BEGIN SELECT RAISE(ABORT, '{check.name}'); END"
                )
        else:
            await client.execute_script(
                f'ALTER TABLE "{check.table}" ADD CONSTRAINT "{check.name}" '
                f"CHECK ({check.condition})"
            )
