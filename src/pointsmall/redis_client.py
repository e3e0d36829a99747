"""Redis through redis-py's asyncio client, or an in-process stand-in when REDIS_URL is unset.

The stand-in (fakeredis, with Lua) speaks the same protocol to the same client class, so
every Redis feature (pub/sub, sorted sets, scripts, locks) works in one embedded process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis


def redis_for(url: str | None) -> Redis:
    if url:
        return Redis.from_url(
            url,
            decode_responses=True,
            health_check_interval=10,
            socket_connect_timeout=2,
            retry_on_timeout=True,
        )
    from fakeredis import FakeAsyncRedis

    return FakeAsyncRedis(decode_responses=True)


@asynccontextmanager
async def connect_redis(url: str | None) -> AsyncIterator[Redis]:
    client = redis_for(url)
    try:
        yield client
    finally:
        await client.aclose()
