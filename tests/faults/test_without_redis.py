"""With Redis unreachable from the start, the service serves from the database: writes go
through, the home screen shows (its hot list computed each time), and only what lives in
Redis alone says it is away for a moment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from pointsmall.app import create_app
from pointsmall.clock import MovableClock
from pointsmall.config import Settings
from pointsmall.redis_client import redis_for
from pointsmall.runtime import open_runtime
from tests.api import Api
from tests.mall.helpers import create_item, grant, redeem

HOME = "{ mall { cards { kind items { title } } } }"
BOARD = "{ leaderboard(period: WEEKLY) { entries { nickname } } }"
ACHIEVEMENT = "{ me { achievement { totalEarned rankPercentile } } }"


@pytest_asyncio.fixture
async def api_without_redis(db: str, settings: Settings) -> AsyncIterator[Api]:
    unreachable = redis_for("redis://127.0.0.1:1/0")
    try:
        async with open_runtime(settings, database=False, redis=unreachable) as runtime:
            app = create_app(settings, runtime)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                yield Api(http, settings)
    finally:
        await unreachable.aclose()


async def test_the_database_alone_serves_when_redis_is_away(
    api_without_redis: Api, clock: MovableClock
) -> None:
    api = api_without_redis
    await grant(api, "mei", 500)
    item = await create_item(api, title="Coffee", pricePoints=100, stock=3, limited=True)
    assert (await redeem(api, "mei", item["id"], "r1"))["errors"] == []
    cards = {
        card["kind"]: card for card in (await api.data(HOME, api.user("mei")))["mall"]["cards"]
    }
    assert [entry["title"] for entry in cards["HOT"]["items"]] == ["Coffee"]
    assert await api.error_code(BOARD, api.user("mei")) == "UNAVAILABLE"
    me = (await api.data(ACHIEVEMENT, api.user("mei")))["me"]["achievement"]
    assert me == {"totalEarned": 500, "rankPercentile": None}
