"""`subscription { pointsChanged }` over both websocket protocols, authenticated at init."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.api import Api

GRANT = """mutation($input: GrantPointsInput!) { grantPoints(input: $input) { errors { code } } }"""
SUBSCRIPTION = "subscription { pointsChanged { balance pending held } }"


async def receive(socket: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if message["type"] not in ("ka", "ping", "pong"):
            return message


async def grant(api: Api, user: str, amount: int, key: str) -> None:
    result = await api.data(
        GRANT,
        api.service(),
        input={"userId": user, "amount": amount, "reason": "test", "idempotencyKey": key},
    )
    assert result["grantPoints"]["errors"] == []


@pytest.mark.parametrize(
    ("protocol", "start", "data"),
    [("graphql-transport-ws", "subscribe", "next"), ("graphql-ws", "start", "data")],
)
async def test_a_user_sees_their_points_change_live(
    api: Api, live_server: str, protocol: str, start: str, data: str
) -> None:
    async with connect(f"ws://{live_server}/graphql", subprotocols=[protocol]) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"authorization": f"Bearer {api.user('alice')}"},
                }
            )
        )
        assert (await receive(socket))["type"] == "connection_ack"
        await socket.send(
            json.dumps({"id": "1", "type": start, "payload": {"query": SUBSCRIPTION}})
        )
        first = await receive(socket)
        assert first["type"] == data
        assert first["payload"]["data"]["pointsChanged"]["balance"] == 0
        await grant(api, "bob", 999, "other-user")  # someone else's change: nothing for alice
        await grant(api, "alice", 120, "g1")
        update = await receive(socket)
        assert update["payload"]["data"]["pointsChanged"] == {
            "balance": 120,
            "pending": 0,
            "held": 0,
        }
        # The grant's PointsEarned notice travels the same channel: no second, equal update.
        with pytest.raises(TimeoutError):
            await receive(socket, timeout=0.5)


async def test_a_bad_token_is_refused_at_connection_init(api: Api, live_server: str) -> None:
    async with connect(
        f"ws://{live_server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer forged"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

    async with connect(f"ws://{live_server}/graphql", subprotocols=["graphql-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        refused = await receive(socket)
        assert refused["type"] == "connection_error"
        assert refused["payload"]["code"] == "UNAUTHENTICATED"
