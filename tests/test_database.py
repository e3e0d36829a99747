"""The database connection survives what clients do to requests: a request cancelled at any
moment (a client hanging up) never leaves a lock or a transaction behind."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from pointsmall.db import open_database
from pointsmall.models import Account


async def test_transactions_cancelled_at_any_moment_leave_the_database_usable(db: str) -> None:
    async def opens_a_transaction() -> None:
        async with in_transaction():
            await Account.filter(user_id="nobody").count()

    for delay in range(60):  # cancelled after 0, 1, 2... turns of the loop: in BEGIN too
        task = asyncio.create_task(opens_a_transaction())
        for _ in range(delay % 12):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await asyncio.wait_for(Account.all().count(), 5) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("cache_size", [0, 100])
async def test_behind_a_transaction_pooler_no_statement_outlives_its_transaction(
    db: str, database_url: str, cache_size: int
) -> None:
    """DATABASE_STATEMENT_CACHE_SIZE=0 (PgBouncer in transaction mode): asyncpg prepares
    only unnamed statements, so nothing a session kept can meet another client's session."""
    async with open_database(database_url, pool_size=1, statement_cache_size=cache_size):
        async with in_transaction() as connection:
            for _ in range(3):
                await Account.filter(user_id="nobody").count()
            _, rows = await connection.execute_query(
                "SELECT count(*) AS n FROM pg_prepared_statements"
            )
        assert (rows[0]["n"] == 0) is (cache_size == 0)
