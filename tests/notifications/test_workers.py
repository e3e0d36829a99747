"""Two real server processes on PostgreSQL and Redis: a mutation on one reaches a subscriber
on the other, and losing Redis loses nothing."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from tests.api import Api
from tests.conftest import server_url
from tests.notifications.helpers import connected

pytestmark = pytest.mark.postgres

GRANT = """mutation($input: GrantPointsInput!) { grantPoints(input: $input) { errors { code } } }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest_asyncio.fixture
async def workers(db: str, database_url: str) -> AsyncIterator[list[str]]:
    """Two `uvicorn` processes of the app, sharing the test database and Redis."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": server_url("TEST_REDIS_URL"),
        "POINTSMALL_ENV": "test",
        "LOG_LEVEL": "WARNING",
    }
    ports = [free_port(), free_port()]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            "pointsmall.app:app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            env=env,
        )
        for port in ports
    ]
    try:
        async with httpx.AsyncClient() as http:
            for port in ports:
                for _ in range(100):
                    try:
                        if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    pytest.fail(f"worker on port {port} did not get ready")
        yield [f"127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=10)


async def grant(api: Api, url: str, amount: int, key: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{url}") as http:
        response = await http.post(
            "/graphql",
            headers={"authorization": f"Bearer {api.service()}"},
            json={
                "query": GRANT,
                "variables": {
                    "input": {
                        "userId": "mei",
                        "amount": amount,
                        "reason": "r",
                        "idempotencyKey": key,
                    }
                },
            },
        )
    assert response.json()["data"]["grantPoints"]["errors"] == []


async def test_a_mutation_on_one_worker_reaches_a_subscriber_on_the_other(
    api: Api, workers: list[str]
) -> None:
    first, second = workers
    subscriber = await connected(first, api.user("mei"))
    await subscriber.subscribe()
    await asyncio.sleep(0.2)
    await grant(api, second, 42, "g1")
    data = (await subscriber.next_data(timeout=2))["notifications"]
    assert (data["__typename"], data["amount"]) == ("PointsEarned", 42)
    await subscriber.socket.close()


async def test_losing_redis_loses_no_notification(api: Api, workers: list[str]) -> None:
    first, second = workers
    subscriber = await connected(first, api.user("mei"))
    await subscriber.subscribe()
    await asyncio.sleep(0.2)
    await grant(api, second, 1, "before")
    last_seen = (await subscriber.next_data(timeout=2))["notifications"]["id"]
    redis = Redis.from_url(server_url("TEST_REDIS_URL"))
    try:
        await redis.client_kill_filter(_type="pubsub")  # every worker loses its pub/sub link
    finally:
        await redis.aclose()
    await grant(api, second, 2, "during")  # published while the workers reconnect
    await subscriber.socket.close()
    back = await connected(first, api.user("mei"))
    await back.subscribe(after=last_seen)
    assert (await back.next_data(timeout=2))["notifications"]["amount"] == 2  # from the inbox
    await asyncio.sleep(1.5)  # the workers have resubscribed by themselves
    await grant(api, second, 3, "after")
    assert (await back.next_data(timeout=2))["notifications"]["amount"] == 3  # live again
    await back.socket.close()


async def test_an_open_socket_catches_up_on_what_redis_lost(api: Api, workers: list[str]) -> None:
    first, second = workers
    subscriber = await connected(first, api.user("mei"))
    await subscriber.subscribe()
    await asyncio.sleep(0.2)
    redis = Redis.from_url(server_url("TEST_REDIS_URL"))
    try:
        await redis.client_kill_filter(_type="pubsub")
    finally:
        await redis.aclose()
    await grant(api, second, 3, "while-away")  # published while nobody listens
    data = (await subscriber.next_data(timeout=5))["notifications"]
    assert data["amount"] == 3  # reread from the inbox once the worker is back
    await grant(api, second, 4, "after")
    assert (await subscriber.next_data(timeout=2))["notifications"]["amount"] == 4
    assert await subscriber.nothing_for(0.3)
    await subscriber.socket.close()
