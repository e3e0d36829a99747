"""What a running process holds: settings, ledger rules, Redis, the broker. Built once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from pointsmall.config import Settings
from pointsmall.db import open_database
from pointsmall.domain import events
from pointsmall.domain.rules import LedgerRules
from pointsmall.redis_client import connect_redis
from pointsmall.subscriptions.broker import Broker, LocalBroker, RedisBroker


@dataclass
class Runtime:
    settings: Settings
    rules: LedgerRules
    redis: Redis
    broker: Broker


def ledger_rules(settings: Settings) -> LedgerRules:
    return LedgerRules(
        expiry=settings.points_expiry,
        zone=settings.zone,
        reversal_grace=timedelta(days=settings.reversal_grace_days),
    )


def account_channel(account_id: int) -> str:
    return f"account:{account_id}"


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, database: bool = True, redis: Redis | None = None
) -> AsyncIterator[Runtime]:
    """Connect what the process needs for the duration of the block.

    `database=False` when the caller already holds a database context (tests, CLI);
    `redis` to use a client the caller owns.
    """
    async with AsyncExitStack() as stack:
        if redis is None:
            redis = await stack.enter_async_context(connect_redis(settings.redis_url))
        broker: Broker = RedisBroker(redis) if settings.redis_url else LocalBroker()
        await broker.start()
        stack.push_async_callback(broker.stop)

        async def publish(event: events.Event) -> None:
            await broker.publish(account_channel(event.account_id), json.dumps({"changed": True}))

        stack.callback(events.listen(publish))
        if database:
            await stack.enter_async_context(
                open_database(
                    settings.database_url,
                    pool_size=settings.database_pool_size,
                    global_fallback=True,
                )
            )
        yield Runtime(settings=settings, rules=ledger_rules(settings), redis=redis, broker=broker)
