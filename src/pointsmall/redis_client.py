"""Redis through redis-py's asyncio client, or an in-process stand-in when REDIS_URL is unset.

The stand-in (fakeredis, with Lua) speaks the same protocol to the same client class, so
every Redis feature (pub/sub, sorted sets, scripts, locks) works in one embedded process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 256  # per process; a burst beyond it waits for a connection
CONNECTION_WAIT_SECONDS = 5.0


def redis_for(url: str | None) -> Redis:
    if url:
        # A blocking pool: under a burst, requests wait briefly for a free connection
        # instead of failing with "Too many connections" (redis-py's default pool).
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=CONNECTION_WAIT_SECONDS,
            decode_responses=True,
            health_check_interval=10,
            socket_connect_timeout=2,
            retry_on_timeout=True,
        )
        return Redis(connection_pool=pool)
    from fakeredis import FakeAsyncRedis

    return FakeAsyncRedis(decode_responses=True)


@asynccontextmanager
async def connect_redis(url: str | None) -> AsyncIterator[Redis]:
    client = redis_for(url)
    try:
        yield client
    finally:
        await client.aclose()
