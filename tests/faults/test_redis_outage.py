"""Redis dies in the middle of a flash sale: redeems keep confirming from the database, none
answers INTERNAL, and when Redis is back the gate agrees with the database again.

The server runs on PostgreSQL with a redis-server of the test's own, which it kills
(SIGKILL, so everything Redis held is lost) and starts again on the same port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from pointsmall.app import create_app
from pointsmall.config import Settings
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.domain.mall.flash_gate import stock_key
from pointsmall.models import Item, Redemption, RedemptionStatus
from pointsmall.redis_client import redis_for
from pointsmall.runtime import Runtime, open_runtime
from pointsmall.schema.node import parse_global_id
from tests.api import Api
from tests.conftest import serving
from tests.faults.servers import PrivateRedis, private_redis
from tests.mall.helpers import GRANT, REDEEM, create_item

pytestmark = pytest.mark.postgres
RESTOCK = (
    """mutation($input: RestockItemInput!) { restockItem(input: $input) { errors { code } } }"""
)


@asynccontextmanager
async def server_on(redis: PrivateRedis, settings: Settings) -> AsyncIterator[tuple[Api, Runtime]]:
    settings = replace(settings, redis_url=redis.url)
    client = redis_for(redis.url)
    try:
        async with (
            open_runtime(settings, database=False, redis=client) as runtime,
            serving(create_app(settings, runtime)) as address,
            httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http,
        ):
            yield Api(http, settings), runtime
    finally:
        await client.aclose()


async def attempt(api: Api, user: str, item_id: str) -> dict[str, Any]:
    body = await api.post(
        REDEEM, api.user(user), input={"itemId": item_id, "quantity": 1, "idempotencyKey": user}
    )
    assert "errors" not in body, body["errors"]  # never INTERNAL, nor any request error
    payload: dict[str, Any] = body["data"]["redeem"]
    return payload


async def rush(api: Api, users: range, item_id: str) -> list[str]:
    """Everyone at once; each answer's outcome (CONFIRMED or an error code)."""
    payloads = await asyncio.gather(*(attempt(api, f"u{number}", item_id) for number in users))
    return [
        payload["redemption"]["status"] if payload["redemption"] else payload["errors"][0]["code"]
        for payload in payloads
    ]


async def gate_stock(redis: PrivateRedis, item_id: int) -> str | None:
    client = Redis(port=redis.port, decode_responses=True)
    try:
        value = await client.get(stock_key(item_id))
        return None if value is None else str(value)
    finally:
        await client.aclose()


async def test_a_sale_goes_on_through_a_redis_outage(db: str, settings: Settings) -> None:
    async with private_redis() as redis, server_on(redis, settings) as (api, runtime):
        for number in range(90):
            grant = {"userId": f"u{number}", "amount": 500, "reason": "r", "idempotencyKey": "g"}
            assert (await api.data(GRANT, api.service(), input=grant))["grantPoints"][
                "errors"
            ] == []
        item = await create_item(api, title="Drop", stock=40, pricePoints=100, perUserQuota=1)
        item_id = parse_global_id(item["id"], "id")[1]
        assert await gate_stock(redis, item_id) == "40"  # primed: the gate is in front

        # Redis dies while a rush is in flight: every attempt still gets a real answer.
        racing = asyncio.create_task(rush(api, range(0, 30), item["id"]))
        await asyncio.sleep(0.05)
        await redis.kill()
        first = await racing
        second = await rush(api, range(30, 60), item["id"])  # Redis away: the database alone
        assert first.count("CONFIRMED") + second.count("CONFIRMED") == 40
        assert set(first + second) <= {"CONFIRMED", "OUT_OF_STOCK"}

        # Redis is back, empty: the gate is reconciled from the database by itself, once
        # Redis is next used (here, by the restock's news).
        await redis.start()
        restocked = await api.data(
            RESTOCK,
            api.admin(),
            input={"itemId": item["id"], "quantity": 10, "idempotencyKey": "more"},
        )
        assert restocked["restockItem"]["errors"] == []
        deadline = asyncio.get_running_loop().time() + 10
        while await gate_stock(redis, item_id) != "10":
            assert asyncio.get_running_loop().time() < deadline, await gate_stock(redis, item_id)
            await asyncio.sleep(0.05)
        third = await rush(api, range(60, 90), item["id"])
        assert third.count("CONFIRMED") == 10 and third.count("OUT_OF_STOCK") == 20
        assert await gate_stock(redis, item_id) == "0"  # the gate turned them away

        stored = await Item.get(id=item_id)
        confirmed = await Redemption.filter(item_id=item_id, status=RedemptionStatus.CONFIRMED)
        assert stored.stock_remaining == 0
        assert len(confirmed) == (stored.stock_total or 0) == 50
        assert (await audit_ledger()).clean
        assert runtime.guard.down is False
