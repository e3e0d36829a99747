"""A scheduled job runs once per interval however many workers tick."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from pointsmall import redis_client
from pointsmall.app import create_app
from pointsmall.clock import MovableClock
from pointsmall.config import Settings
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.jobs.scheduler import Job, Ticket, run_once_per_interval, running
from pointsmall.models import Entry, EntryKind
from pointsmall.redis_client import RedisGuard
from tests.ledger.helpers import RULES, SERVICE


async def test_one_worker_runs_each_tick(redis: Redis) -> None:
    runs: list[int] = []

    async def work() -> int:
        runs.append(1)
        return len(runs)

    job = Job(name="test-job", every=timedelta(seconds=60), run=work)
    guard = RedisGuard(redis)
    workers = [Ticket(job) for _ in range(10)]
    ran = await asyncio.gather(*(run_once_per_interval(redis, guard, w) for w in workers))
    assert sum(ran) == 1 and runs == [1]
    assert await run_once_per_interval(redis, guard, workers[0]) is False


async def test_the_next_interval_runs_again(redis: Redis) -> None:
    runs: list[int] = []

    async def work() -> None:
        runs.append(1)

    job = Job(name="quick-job", every=timedelta(milliseconds=50), run=work)
    async with running(redis, RedisGuard(redis), [job], tick=0.02):
        await asyncio.sleep(0.2)
    assert 2 <= len(runs) <= 5


async def test_the_server_runs_the_expiry_sweep_by_itself(
    settings: Settings, redis: Redis, clock: MovableClock
) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        account = await open_account("sweep-me")
        await entries.earn(
            account.id,
            50,
            LedgerRequest(SERVICE, "soon-gone", "r"),
            RULES,
            expires_at=clock.now() + timedelta(hours=1),
        )
    clock.advance(timedelta(hours=2))
    await redis.flushdb()  # no job lock left from the first start
    restarted = create_app(settings)
    async with restarted.router.lifespan_context(restarted):
        for _ in range(200):  # the scheduler runs its jobs at start, then on their intervals
            if await Entry.exists(account_id=account.id, kind=EntryKind.EXPIRE):
                break
            await asyncio.sleep(0.025)
        expired = await Entry.get(account_id=account.id, kind=EntryKind.EXPIRE)
    assert expired.amount == -50


async def test_each_starting_worker_repairs_once_the_last_repair_is_done(redis: Redis) -> None:
    """Workers repairing Redis from the database (at start, after an outage) take turns;
    a worker that starts after another finished repairs again: the one it replaces may
    have died mid-redeem since."""
    runs: list[int] = []
    release = asyncio.Event()

    async def rebuild() -> None:
        runs.append(1)
        await release.wait()

    first, second, third = (RedisGuard(redis) for _ in range(3))
    for guard in (first, second, third):
        guard.on_recovery(rebuild)
    repairing = asyncio.create_task(first.repair())
    await asyncio.sleep(0.05)
    await second.repair()  # while the first repairs: skipped
    assert runs == [1]
    release.set()
    await repairing
    await third.repair()  # a worker starting later repairs again
    assert runs == [1, 1]


async def test_a_starting_worker_waits_for_a_repair_under_way_then_repairs(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A starting worker does not skip its repair because another holds the lock: that
    one may have read the database before a worker died mid-redeem. And a lock left by a
    worker killed while repairing holds others up only for its short life."""
    monkeypatch.setattr(redis_client, "RECOVERY_LOCK_SECONDS", 0.3)
    runs: list[str] = []
    release = asyncio.Event()

    async def slow() -> None:
        runs.append("first")
        await release.wait()

    async def quick() -> None:
        runs.append("starting")

    first, starting = RedisGuard(redis), RedisGuard(redis)
    first.on_recovery(slow)
    starting.on_recovery(quick)
    repairing = asyncio.create_task(first.repair())
    await asyncio.sleep(0.05)
    waiting = asyncio.create_task(starting.repair(wait=True))
    await asyncio.sleep(0.5)  # longer than the lock's life: renewed while the first repairs
    assert runs == ["first"]
    release.set()
    await repairing
    await waiting
    assert runs == ["first", "starting"]

    await redis.set(redis_client.RECOVERY_LOCK, "a worker killed while repairing", px=300)
    await starting.repair(wait=True)  # waits the dead lock out, then repairs
    assert runs == ["first", "starting", "starting"]
