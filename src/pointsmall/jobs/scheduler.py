"""Run jobs every so often in each server process; a Redis lock lets one worker run each tick.

The lock's timeout is the job's interval, and it is not released when the job ends, so
however many workers tick, a job runs at most once per interval. A crashed worker's lock
simply expires. While Redis is away each worker runs each job once per interval on its
own: every job is safe to run on several workers at once (row locks, unique keys), and the
programme's books keep moving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from pointsmall.metrics import JOB_RUNS, JOB_SECONDS
from pointsmall.redis_client import RedisClient, RedisGuard

log = logging.getLogger("pointsmall.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], Awaitable[object]]


@dataclass
class Ticket:
    """When this worker last ran a job itself (the clock of its Redis-less fallback)."""

    job: Job
    last_run: float = -1e18


async def run_once_per_interval(redis: RedisClient, guard: RedisGuard, ticket: Ticket) -> bool:
    """Run the job if no worker has run it within its interval; True when this one did."""
    job = ticket.job
    interval = job.every.total_seconds()

    async def lock() -> bool:
        key = f"pointsmall:job:{job.name}"
        return bool(await redis.set(key, uuid.uuid4().hex, nx=True, px=int(interval * 1000)))

    claimed = await guard.call("job lock", lock, None)
    if claimed is None:  # Redis away: by this worker's own clock
        claimed = time.monotonic() - ticket.last_run >= interval
    if not claimed:
        return False
    ticket.last_run = time.monotonic()
    started = time.perf_counter()
    try:
        result = await job.run()
    except Exception:
        JOB_RUNS.labels(job.name, "failed").inc()
        raise
    finally:
        JOB_SECONDS.labels(job.name).observe(time.perf_counter() - started)
    JOB_RUNS.labels(job.name, "done").inc()
    log.info("job %s: %s", job.name, result)
    return True


async def _loop(
    redis: RedisClient, guard: RedisGuard, job: Job, tick: float, stopping: asyncio.Event
) -> None:
    ticket = Ticket(job)
    while not stopping.is_set():
        try:
            await run_once_per_interval(redis, guard, ticket)
        except Exception:
            log.exception("job %s failed", job.name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), tick)


@contextlib.asynccontextmanager
async def running(
    redis: RedisClient, guard: RedisGuard, jobs: list[Job], tick: float = 30.0, grace: float = 10.0
) -> AsyncIterator[None]:
    """Keep the jobs ticking for the duration of the block.

    On the way out a job that is running is let finish (up to `grace` seconds): cancelling
    it in the middle of a transaction would leave its database connection to be cleaned
    up by a pool that is closing.
    """
    stopping = asyncio.Event()
    tasks = [
        asyncio.create_task(_loop(redis, guard, job, tick, stopping), name=f"job:{job.name}")
        for job in jobs
    ]
    try:
        yield
    finally:
        stopping.set()
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task
