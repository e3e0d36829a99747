"""A scheduled job runs once per interval however many workers tick."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from redis.asyncio import Redis

from pointsmall.jobs.scheduler import Job, run_once_per_interval, running


async def test_one_worker_runs_each_tick(redis: Redis) -> None:
    runs: list[int] = []

    async def work() -> int:
        runs.append(1)
        return len(runs)

    job = Job(name="test-job", every=timedelta(seconds=60), run=work)
    ran = await asyncio.gather(*(run_once_per_interval(redis, job) for _ in range(10)))
    assert sum(ran) == 1 and runs == [1]
    assert await run_once_per_interval(redis, job) is False


async def test_the_next_interval_runs_again(redis: Redis) -> None:
    runs: list[int] = []

    async def work() -> None:
        runs.append(1)

    job = Job(name="quick-job", every=timedelta(milliseconds=50), run=work)
    async with running(redis, [job], tick=0.02):
        await asyncio.sleep(0.2)
    assert 2 <= len(runs) <= 5
