"""Raw SQL for the few set-based statements the ORM cannot say, on either database.

Statements are written with PostgreSQL's numbered placeholders (`$1`, `$2`, ...); on SQLite
they become `?1`, `?2`, ..., which SQLite reads the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from tortoise.connection import get_connection
from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\$(\d+)")
M = TypeVar("M", bound=Model)


def on_sqlite() -> bool:
    """Whether the database is the embedded SQLite one (no row locks, no arrays)."""
    return bool(get_connection("default").capabilities.dialect == "sqlite")


def _dialect_sql(sql: str) -> str:
    return _PLACEHOLDER.sub(r"?\1", sql) if on_sqlite() else sql


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """The rows a statement returns (a SELECT, or any statement with RETURNING)."""
    rows = await get_connection("default").execute_query_dict(_dialect_sql(sql), list(params))
    return [dict(row) for row in rows]


async def fetch_models(model: type[M], sql: str, *params: Any) -> list[M]:
    """Rows of `model` read by a plain statement selecting all its columns, as instances
    (tortoise's own row-to-model step, without its query building)."""
    return [model._init_from_db(**row) for row in await fetch(sql, *params)]


async def execute(sql: str, *params: Any) -> int:
    count, _ = await get_connection("default").execute_query(_dialect_sql(sql), list(params))
    return int(count)


def placeholders(values: Sequence[object], first: int) -> str:
    """`$first, $first+1, ...` for a row of `values`."""
    return ", ".join(f"${index}" for index in range(first, first + len(values)))


def among(column: str, ids: Sequence[int], first: int) -> tuple[str, list[object]]:
    """The condition "`column` is one of `ids`" and its parameters, numbered from `first`
    (put them last): on PostgreSQL one array parameter, so the statement has one plan
    whatever the count and probes the column's index; on SQLite an IN list."""
    if on_sqlite():
        return f"{column} IN ({placeholders(ids, first)})", list(ids)
    return f"{column} = ANY(${first}::bigint[])", [list(ids)]


def moment(value: datetime | str) -> datetime:
    """A timestamp column as read by `fetch`: SQLite hands back the stored text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value
