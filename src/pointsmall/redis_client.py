"""Redis through redis-py's asyncio client, or an in-process stand-in when REDIS_URL is unset.

The stand-in (fakeredis, with Lua) speaks the same protocol to the same client class, so
every Redis feature (pub/sub, sorted sets, scripts, locks) works in one embedded process.

The database is the source of truth and Redis only speeds things up, so Redis trouble must
degrade a feature, never fail a write that committed. `RedisGuard` is how every use of
Redis on a write path says so: a failed call returns its fallback, the first failure of an
outage logs one warning (not one per request), calls are skipped for a second at a time
while Redis is away (so no request waits on a dead connection), and when Redis answers
again the recovery actions (reconciling the flash-sale gates, rebuilding the leaderboards)
run once, in the background, on one worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import TypeAlias, TypeVar
from urllib.parse import unquote, urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import RedisError

log = logging.getLogger("pointsmall.redis")
MAX_CONNECTIONS = 256  # per process; a burst beyond it waits for a connection
CONNECTION_WAIT_SECONDS = 5.0
PROBE_EVERY_SECONDS = 1.0
RECOVERY_LOCK = "pointsmall:recovery"
# One client type for a single Redis (or one a Sentinel names) and for a Redis Cluster.
RedisClient: TypeAlias = Redis | RedisCluster
RECOVERY_LOCK_SECONDS = 5.0  # renewed while the repair runs
RECOVERY_WAIT_SECONDS = 30.0  # the longest a starting worker waits for another's repair
T = TypeVar("T")
Recovery = Callable[[], Awaitable[object]]


def redis_for(url: str | None) -> RedisClient:
    """The client REDIS_URL names:

    - `redis://host:6379/0` (or `rediss://`, `unix://`): one Redis;
    - `redis+cluster://host:7000` (or `rediss+cluster://`): a Redis Cluster, found from any
      of its nodes;
    - `redis+sentinel://[:password@]host:26379,host2:26379/service[/db]`: the primary that
      the Sentinels name for `service`, followed through failovers;
    - unset: an in-process stand-in (one embedded process only).
    """
    if not url:
        from fakeredis import FakeAsyncRedis

        return FakeAsyncRedis(decode_responses=True)
    scheme, _, rest = url.partition("://")
    if scheme in ("redis+cluster", "rediss+cluster"):
        return RedisCluster.from_url(
            f"{scheme.removesuffix('+cluster')}://{rest}",
            decode_responses=True,
            socket_connect_timeout=2,
            max_connections=MAX_CONNECTIONS,
        )
    if scheme == "redis+sentinel":
        return _sentinel_primary(url)
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


def _sentinel_primary(url: str) -> Redis:
    parts = urlsplit(url)
    hosts = parts.netloc.rpartition("@")[2]
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        sentinels.append((name, int(port or 26379)))
    service, _, db = parts.path.strip("/").partition("/")
    if not service:
        raise ValueError("REDIS_URL redis+sentinel://hosts/<service>[/db] must name the service")
    password = unquote(parts.password) if parts.password else None
    sentinel = Sentinel(  # type: ignore[no-untyped-call, unused-ignore]
        sentinels, socket_connect_timeout=2, sentinel_kwargs={"password": password}
    )
    primary: Redis = sentinel.master_for(
        service, db=int(db or 0), password=password, decode_responses=True, socket_connect_timeout=2
    )
    return primary


@asynccontextmanager
async def connect_redis(url: str | None) -> AsyncIterator[RedisClient]:
    client = redis_for(url)
    try:
        yield client
    finally:
        await client.aclose()


class RedisGuard:
    """This process's view of whether Redis answers, and what to do when it comes back."""

    def __init__(self, redis: RedisClient, *, probe_every: float = PROBE_EVERY_SECONDS) -> None:
        self._redis = redis
        self._probe_every = probe_every
        self._down_since: float | None = None
        self._probe_at = 0.0
        self._recoveries: list[Recovery] = []
        self._recovering: asyncio.Task[None] | None = None

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def on_recovery(self, action: Recovery) -> None:
        """Run `action` once Redis answers again after an outage."""
        self._recoveries.append(action)

    async def call(self, what: str, operation: Callable[[], Awaitable[T]], fallback: T) -> T:
        """`operation()`, or `fallback` when Redis does not answer (or is known to be away)."""
        if self._down_since is not None and time.monotonic() < self._probe_at:
            return fallback
        try:
            result = await operation()
        except (RedisError, OSError) as error:
            self.failed(what, error)
            return fallback
        self.answered()
        return result

    def failed(self, what: str, error: BaseException) -> None:
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
            log.warning(
                "Redis unavailable (%s: %s): the database alone decides until it is back",
                what,
                type(error).__name__,
            )
        self._probe_at = now + self._probe_every

    def answered(self) -> None:
        if self._down_since is None:
            return
        log.warning("Redis is back after %.1f s: reconciling", time.monotonic() - self._down_since)
        self._down_since = None
        if self._recoveries and (self._recovering is None or self._recovering.done()):
            self._recovering = asyncio.create_task(self.repair(), name="redis-recovery")

    async def repair(self, *, wait: bool = False) -> None:
        """Run the recovery actions, on one worker at a time (a lock in Redis): after an
        outage, and when a worker starts (a worker killed mid-redeem left units taken).

        After an outage a worker finding the lock held leaves the repair to its holder; a
        starting worker (`wait`) waits its turn instead, since the holder may have read
        the database before its predecessor died. The lock lives a few seconds and is
        renewed while the repair runs, so a worker killed while repairing holds it up
        only that long."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
        try:
            while not await self._redis.set(
                RECOVERY_LOCK, token, nx=True, px=int(RECOVERY_LOCK_SECONDS * 1000)
            ):
                if not wait or time.monotonic() > deadline:
                    return  # another worker is on it
                await asyncio.sleep(0.1)
        except (RedisError, OSError) as error:
            self.failed("recovery", error)
            return
        renewing = asyncio.create_task(self._renew(token), name="redis-recovery-lock")
        try:
            for action in self._recoveries:
                try:
                    await action()
                except (RedisError, OSError) as error:
                    self.failed("recovery", error)
                    return
                except Exception:
                    log.exception("recovery after a Redis outage failed")
        finally:
            renewing.cancel()
            with suppress(asyncio.CancelledError):
                await renewing
            # Done: the next worker to start repairs again (the one it replaces may have
            # died mid-redeem since).
            with suppress(RedisError, OSError):
                if await self._redis.get(RECOVERY_LOCK) == token:
                    await self._redis.delete(RECOVERY_LOCK)

    async def _renew(self, token: str) -> None:
        """Keep the recovery lock while this worker repairs."""
        while True:
            await asyncio.sleep(RECOVERY_LOCK_SECONDS / 3)
            with suppress(RedisError, OSError):
                if await self._redis.get(RECOVERY_LOCK) == token:
                    await self._redis.pexpire(RECOVERY_LOCK, int(RECOVERY_LOCK_SECONDS * 1000))

    async def close(self) -> None:
        if self._recovering is not None and not self._recovering.done():
            self._recovering.cancel()
            with suppress(asyncio.CancelledError):
                await self._recovering
