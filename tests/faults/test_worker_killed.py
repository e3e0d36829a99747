"""A worker process is SIGKILLed in the middle of a rush of redeems: after a restart the
books are clean, stock equals confirmed redemptions, the gate agrees with the database,
and a client that retries with the same key is answered once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from pointsmall.config import Settings
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.domain.mall.flash_gate import stock_key
from pointsmall.models import Item, Redemption, RedemptionStatus
from pointsmall.schema.node import parse_global_id
from tests.api import Api
from tests.faults.servers import free_port
from tests.mall.helpers import GRANT, REDEEM, create_item

pytestmark = pytest.mark.postgres


@asynccontextmanager
async def worker(settings: Settings, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """`pointsmall serve`, as in production, on the test's database and Redis."""
    assert settings.redis_url is not None
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "POINTSMALL_ENV": "test",
        "RATE_LIMITS": "off",
        "LOG_LEVEL": "WARNING",
    }
    command = Path(sys.executable).with_name("pointsmall")
    process = await asyncio.create_subprocess_exec(
        str(command), "serve", "--port", str(port), env=env, stdout=subprocess.DEVNULL
    )
    try:
        async with httpx.AsyncClient(timeout=2) as probe:
            for _ in range(200):
                try:
                    if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the worker did not start")
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()


async def attempt(api: Api, user: str, item_id: str) -> str:
    try:
        body = await api.post(
            REDEEM,
            api.user(user),
            input={"itemId": item_id, "quantity": 1, "idempotencyKey": f"{user}-once"},
        )
    except httpx.TransportError:
        return "NO ANSWER"  # the worker died under it
    payload = body["data"]["redeem"]
    return str(
        payload["redemption"]["status"] if payload["redemption"] else payload["errors"][0]["code"]
    )


async def test_a_killed_worker_leaves_the_books_and_the_stock_exact(
    db: str, redis: Redis, settings: Settings
) -> None:
    port = free_port()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        api = Api(http, settings)
        async with worker(settings, port) as process:
            item = await create_item(api, title="Drop", stock=30, pricePoints=100)
            for number in range(60):
                grant = {
                    "userId": f"u{number}",
                    "amount": 500,
                    "reason": "r",
                    "idempotencyKey": "g",
                }
                assert (await api.data(GRANT, api.service(), input=grant))["grantPoints"][
                    "errors"
                ] == []
            rush = asyncio.gather(*(attempt(api, f"u{number}", item["id"]) for number in range(60)))
            await asyncio.sleep(0.15)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            first = await rush
        assert "NO ANSWER" in first  # killed mid-rush

        async with worker(settings, port):
            # Every user tries again with the same key: the ones who got in are answered
            # with their redemption, nobody gets a second one.
            again = await asyncio.gather(
                *(attempt(api, f"u{number}", item["id"]) for number in range(60))
            )
            assert set(again) <= {"CONFIRMED", "OUT_OF_STOCK"}
            assert again.count("CONFIRMED") == 30
            for before, after in zip(first, again, strict=True):
                if before == "CONFIRMED":
                    assert after == "CONFIRMED"

    item_id = parse_global_id(item["id"], "id")[1]
    stored = await Item.get(id=item_id)
    confirmed = await Redemption.filter(item_id=item_id, status=RedemptionStatus.CONFIRMED)
    assert stored.stock_remaining == 0 and len(confirmed) == 30
    assert (await audit_ledger()).clean
    assert await redis.get(stock_key(item_id)) == "0"  # the gate, reconciled at the restart
