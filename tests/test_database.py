"""The database connection survives what clients do to requests: a request cancelled at any
moment (a client hanging up) never leaves a lock or a transaction behind."""

from __future__ import annotations

import asyncio

from tortoise.transactions import in_transaction

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
