"""What a running process holds: settings, ledger rules, Redis. Built once, in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from pointsmall.config import Settings
from pointsmall.db import open_database
from pointsmall.domain.rules import LedgerRules
from pointsmall.redis_client import connect_redis


@dataclass
class Runtime:
    settings: Settings
    rules: LedgerRules
    redis: Redis

    @classmethod
    def rules_from(cls, settings: Settings) -> LedgerRules:
        return LedgerRules(
            expiry=settings.points_expiry,
            zone=settings.zone,
            reversal_grace=timedelta(days=settings.reversal_grace_days),
        )


@asynccontextmanager
async def open_runtime(settings: Settings, *, database: bool = True) -> AsyncIterator[Runtime]:
    """Connect to the database (unless the caller already did) and Redis for the block."""
    async with connect_redis(settings.redis_url) as redis:
        runtime = Runtime(settings=settings, rules=Runtime.rules_from(settings), redis=redis)
        if not database:
            yield runtime
            return
        async with open_database(
            settings.database_url, pool_size=settings.database_pool_size, global_fallback=True
        ):
            yield runtime
