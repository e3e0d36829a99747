"""Every websocket message is a text frame, on both protocols.

A browser's WebSocket hands a binary frame over as a Blob, which GraphiQL, graphql-ws and
Apollo clients cannot read. The websockets client here returns a text frame as `str` and a
binary one as `bytes`, so the test sees what a browser would get.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.api import Api
from tests.mall.helpers import grant

POINTS = "subscription { pointsChanged { balance } }"


async def frames_until(socket: ClientConnection, wanted: str) -> list[str | bytes]:
    """Raw frames up to and including the first message of type `wanted`."""
    frames: list[str | bytes] = []
    while True:
        frame = await asyncio.wait_for(socket.recv(), 5)
        frames.append(frame)
        if json.loads(frame)["type"] == wanted:
            return frames


async def send(socket: ClientConnection, message: dict[str, Any]) -> None:
    await socket.send(json.dumps(message))


async def test_graphql_transport_ws_sends_only_text_frames(api: Api, live_server: str) -> None:
    async with connect(
        f"ws://{live_server}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    ) as socket:
        auth = {"authorization": f"Bearer {api.user('mei')}"}
        await send(socket, {"type": "connection_init", "payload": auth})
        frames = await frames_until(socket, "connection_ack")
        await send(socket, {"type": "ping"})
        frames += await frames_until(socket, "pong")
        await send(socket, {"id": "1", "type": "subscribe", "payload": {"query": POINTS}})
        frames += await frames_until(socket, "next")
        await grant(api, "mei", 50, "g1")
        frames += await frames_until(socket, "next")
        await send(socket, {"id": "2", "type": "subscribe", "payload": {"query": "{ nope }"}})
        frames += await frames_until(socket, "error")
        await send(socket, {"id": "3", "type": "subscribe", "payload": {"query": "{ __typename }"}})
        frames += await frames_until(socket, "complete")
    kinds = [json.loads(frame)["type"] for frame in frames]
    assert {"connection_ack", "pong", "next", "error", "complete"} <= set(kinds)
    assert all(isinstance(frame, str) for frame in frames), [type(frame) for frame in frames]


async def test_legacy_graphql_ws_sends_only_text_frames(api: Api, live_server: str) -> None:
    async with connect(
        f"ws://{live_server}/graphql",
        subprotocols=["graphql-ws"],  # type: ignore[list-item]
    ) as socket:
        auth = {"authorization": f"Bearer {api.user('mei')}"}
        await send(socket, {"type": "connection_init", "payload": auth})
        frames = await frames_until(socket, "connection_ack")
        frames += await frames_until(socket, "ka")  # the keep-alive starts at once
        await send(socket, {"id": "1", "type": "start", "payload": {"query": POINTS}})
        frames += await frames_until(socket, "data")
        await grant(api, "mei", 50, "g1")
        frames += await frames_until(socket, "data")
        await send(socket, {"id": "2", "type": "start", "payload": {"query": "{ nope }"}})
        frames += await frames_until(socket, "error")
        await send(socket, {"id": "1", "type": "stop"})
        frames += await frames_until(socket, "complete")
    kinds = [json.loads(frame)["type"] for frame in frames]
    assert {"connection_ack", "ka", "data", "error", "complete"} <= set(kinds)
    assert all(isinstance(frame, str) for frame in frames), [type(frame) for frame in frames]


async def test_a_refused_legacy_connection_init_is_told_in_text(api: Api, live_server: str) -> None:
    async with connect(
        f"ws://{live_server}/graphql",
        subprotocols=["graphql-ws"],  # type: ignore[list-item]
    ) as socket:
        await send(socket, {"type": "connection_init", "payload": {"authorization": "Bearer x"}})
        frames = await frames_until(socket, "connection_error")
    assert all(isinstance(frame, str) for frame in frames)
