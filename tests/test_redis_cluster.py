"""On a Redis Cluster (three primaries of the test's own): a flash sale sells exactly its
stock through the gate, the leaderboards move, and a notification reaches its socket.

Every key one script touches shares a hash tag, so nothing is refused as CROSSSLOT; the
broker's pub/sub reaches subscribers whichever node they listen on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from pointsmall.app import create_app
from pointsmall.config import Settings
from pointsmall.domain.mall.flash_gate import stock_key
from pointsmall.redis_client import RedisClient, redis_for
from pointsmall.runtime import Runtime, open_runtime
from pointsmall.schema.node import parse_global_id
from tests.api import Api
from tests.conftest import serving
from tests.faults.servers import LocalCluster, local_cluster
from tests.faults.test_redis_outage import rush
from tests.mall.helpers import GRANT, create_item
from tests.notifications.helpers import connected, subscriptions_in_place

pytestmark = pytest.mark.postgres
BOARD = """{ leaderboard(period: ALL_TIME, first: 3) { entries { rank nickname points } } }"""


@asynccontextmanager
async def server_on(
    cluster: LocalCluster, settings: Settings
) -> AsyncIterator[tuple[Api, Runtime, RedisClient, str]]:
    settings = replace(settings, redis_url=cluster.url)
    client = redis_for(cluster.url)
    try:
        async with (
            open_runtime(settings, database=False, redis=client) as runtime,
            serving(create_app(settings, runtime)) as address,
            httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as http,
        ):
            yield Api(http, settings), runtime, client, address
    finally:
        await client.aclose()


async def test_a_sale_and_a_notification_through_a_redis_cluster(
    db: str, settings: Settings, tmp_path: Path
) -> None:
    async with (
        local_cluster(tmp_path) as cluster,
        server_on(cluster, settings) as (api, runtime, redis, address),
    ):
        assert type(redis).__name__ == "RedisCluster"
        for number in range(30):
            grant = {"userId": f"u{number}", "amount": 500 + number, "reason": "r"}
            result = await api.data(GRANT, api.service(), input={**grant, "idempotencyKey": "g"})
            assert result["grantPoints"]["errors"] == []
        item = await create_item(api, title="Drop", stock=10, pricePoints=100, perUserQuota=1)
        item_id = parse_global_id(item["id"], "id")[1]
        assert await redis.get(stock_key(item_id)) == "10"  # primed: the gate is in front

        outcomes = await rush(api, range(30), item["id"])
        assert outcomes.count("CONFIRMED") == 10 and outcomes.count("OUT_OF_STOCK") == 20
        assert await redis.get(stock_key(item_id)) == "0"  # the gate turned the rest away

        board = (await api.data(BOARD))["leaderboard"]["entries"]
        assert [entry["points"] for entry in board] == [529, 528, 527]

        subscriber = await connected(address, api.user("u7"))
        await subscriber.subscribe()
        await subscriptions_in_place(runtime, 1)
        grant = {"userId": "u7", "amount": 5, "reason": "a gift", "idempotencyKey": "late"}
        await api.data(GRANT, api.service(), input=grant)
        told = await subscriber.next_data()
        assert told["notifications"]["amount"] == 5
        await subscriber.socket.close()
        await asyncio.sleep(0)
