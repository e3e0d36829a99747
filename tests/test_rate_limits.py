"""Rate limits per user and operation class, per client address, and for the shop's feeds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from pointsmall.app import create_app
from pointsmall.clock import MovableClock
from pointsmall.config import Rate, RateLimits
from pointsmall.rate_limits import Draw, RateLimiter
from pointsmall.redis_client import RedisGuard, redis_for
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.mall.helpers import GRANT, create_item, grant, redeem

POINTS = "{ me { points { balance } } }"


@asynccontextmanager
async def limited(runtime: Runtime, limits: RateLimits) -> AsyncIterator[Api]:
    settings = replace(runtime.settings, rate_limits=limits)
    limiter = RateLimiter(runtime.redis, runtime.guard, limits)
    app = create_app(settings, replace(runtime, settings=settings, rate_limiter=limiter))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield Api(http, settings)


async def test_a_user_is_refused_past_their_limit_and_told_when_to_come_back(
    runtime: Runtime, clock: MovableClock
) -> None:
    async with limited(runtime, RateLimits(read=Rate(3, 60))) as api:
        for _ in range(3):
            await api.data(POINTS, api.user("mei"))
        response = await api.http.post(
            "/graphql",
            json={"query": POINTS},
            headers={"authorization": f"Bearer {api.user('mei')}"},
        )
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= error["extensions"]["retryAfter"] <= 20
        assert response.status_code == 429
        assert response.headers["retry-after"] == str(error["extensions"]["retryAfter"])
        await api.data(POINTS, api.user("ana"))  # another user has a bucket of their own


async def test_each_class_has_its_own_bucket(runtime: Runtime, clock: MovableClock) -> None:
    async with limited(runtime, RateLimits(read=Rate(100, 60), redeem=Rate(2, 60))) as api:
        await grant(api, "mei", 1_000)
        item = await create_item(api, pricePoints=10)
        for key in ("a", "b"):
            assert (await redeem(api, "mei", item["id"], key))["errors"] == []
        refused = await api.post(
            "mutation($input: RedeemInput!) { redeem(input: $input) { errors { code } } }",
            api.user("mei"),
            input={"itemId": item["id"], "quantity": 1, "idempotencyKey": "c"},
        )
        assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        await api.data(POINTS, api.user("mei"))  # reads still go through


async def test_one_address_is_limited_across_users_but_the_shop_is_not(
    runtime: Runtime, clock: MovableClock
) -> None:
    async with limited(runtime, RateLimits(address=Rate(4, 60), service=Rate(50, 60))) as api:
        for user in ("a", "b", "c", "d"):
            await api.data(POINTS, api.user(user))
        assert await api.error_code(POINTS, api.user("e")) == "RATE_LIMITED"
        assert await api.error_code("{ __typename }") == "RATE_LIMITED"  # anonymous too
        for number in range(10):  # the shop's feed from the same address
            result = await api.data(
                GRANT,
                api.service(),
                input={"userId": "a", "amount": 1, "reason": "r", "idempotencyKey": f"k{number}"},
            )
            assert result["grantPoints"]["errors"] == []


async def test_a_bucket_fills_up_again(runtime: Runtime, clock: MovableClock) -> None:
    async with limited(runtime, RateLimits(read=Rate(2, 1))) as api:
        await api.data(POINTS, api.user("mei"))
        await api.data(POINTS, api.user("mei"))
        assert await api.error_code(POINTS, api.user("mei")) == "RATE_LIMITED"
        await asyncio.sleep(0.6)  # two a second: one token back after half a second
        await api.data(POINTS, api.user("mei"))


async def test_without_redis_nothing_is_limited() -> None:
    unreachable = redis_for("redis://127.0.0.1:1/0")
    try:
        limiter = RateLimiter(unreachable, RedisGuard(unreachable), RateLimits())
        assert await limiter.take([Draw("user:mei", Rate(1, 60), 1)] * 3) == 0
    finally:
        await unreachable.aclose()
