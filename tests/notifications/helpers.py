"""A small graphql-transport-ws / graphql-ws client for tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from pointsmall.runtime import Runtime

NOTIFICATIONS = """subscription($after: ID) { notifications(after: $after) {
  id createdAt __typename
  ... on PointsEarned { amount reason balance }
  ... on PointsExpiringSoon { amount expiresAt withinDays }
  ... on RedemptionUpdated { redemption { id status item { title remainingStock } couponCode } }
  ... on TaskCompleted { task { id title } reward } } }"""

START = {"graphql-transport-ws": "subscribe", "graphql-ws": "start"}
DATA = {"graphql-transport-ws": "next", "graphql-ws": "data"}


class Subscriber:
    def __init__(self, socket: ClientConnection, protocol: str) -> None:
        self.socket = socket
        self.protocol = protocol
        self.count = 0

    async def subscribe(self, query: str = NOTIFICATIONS, **variables: Any) -> str:
        self.count += 1
        operation = str(self.count)
        await self.socket.send(
            json.dumps(
                {
                    "id": operation,
                    "type": START[self.protocol],
                    "payload": {"query": query, "variables": variables},
                }
            )
        )
        return operation

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.socket.recv(), timeout)
            )
            if message["type"] in ("ka", "ping", "pong"):
                continue
            return message

    async def next_data(self, timeout: float = 5.0) -> dict[str, Any]:
        message = await self.receive(timeout)
        assert message["type"] == DATA[self.protocol], message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def nothing_for(self, seconds: float) -> bool:
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message {message}")


async def connected(url: str, token: str, protocol: str = "graphql-transport-ws") -> Subscriber:
    socket = await connect(f"ws://{url}/graphql", subprotocols=[protocol])  # type: ignore[list-item]
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    subscriber = Subscriber(socket, protocol)
    ack = await subscriber.receive()
    assert ack["type"] == "connection_ack", ack
    return subscriber


async def subscriptions_in_place(runtime: Runtime, count: int, timeout: float = 5.0) -> None:
    """Wait until this process's broker holds `count` subscriptions: from then on, what
    commits reaches them (the protocol itself acknowledges no subscription)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while runtime.broker.subscribers < count:
        assert asyncio.get_running_loop().time() < deadline, "subscriptions never in place"
        await asyncio.sleep(0.005)
