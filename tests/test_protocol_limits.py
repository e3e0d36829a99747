"""What a client may send: heads and bodies of bounded size, websockets that say who they
are in time and once, and nothing left running when a socket closes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pointsmall.app import create_app
from pointsmall.runtime import Runtime
from pointsmall.serving import MAX_BODY_BYTES, MAX_HEAD_BYTES, MAX_HEADERS
from tests.api import Api
from tests.conftest import serving

QUERY = b'{"query": "{ __typename }"}'


async def until_closed(socket: ClientConnection) -> ConnectionClosed:
    """Read until the server closes the socket; how it closed it."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), 5)
    except ConnectionClosed as closed:
        return closed


async def send_until_refused(writer: asyncio.StreamWriter, limit: int) -> int:
    """Keep sending header bytes; how many went out before the server hung up."""
    sent = 0
    try:
        while sent < limit:
            writer.write(b"a" * 65536)
            await writer.drain()
            sent += 65536
    except ConnectionError:
        return sent
    raise AssertionError(f"the server read all {limit:,} bytes of one header")


async def exchange(address: str, request: bytes, *, read_for: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes the connection (or `read_for` passes)."""
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), read_for)
    finally:
        writer.close()


def post(headers: bytes = b"", body: bytes = QUERY, *, chunked: bool = False) -> bytes:
    head = b"POST /graphql HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n" + headers
    if chunked:
        chunks = b"".join(
            f"{len(body[i : i + 8192]):x}\r\n".encode() + body[i : i + 8192] + b"\r\n"
            for i in range(0, len(body), 8192)
        )
        return (
            head
            + b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            + chunks
            + b"0\r\n\r\n"
        )
    return head + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode() + body


async def test_a_normal_request_passes(live_server: str) -> None:
    answer = await exchange(live_server, post())
    assert answer.startswith(b"HTTP/1.1 200") and b'"__typename":"Query"' in answer


async def test_an_oversized_header_gets_431_and_the_connection_closes(live_server: str) -> None:
    huge = b"x-padding: " + b"a" * (MAX_HEAD_BYTES + 1) + b"\r\n"
    answer = await exchange(live_server, post(huge))
    assert answer.startswith(b"HTTP/1.1 431")


async def test_too_many_headers_get_431(live_server: str) -> None:
    many = b"".join(f"x-h{number}: 1\r\n".encode() for number in range(MAX_HEADERS + 1))
    assert (await exchange(live_server, post(many))).startswith(b"HTTP/1.1 431")
    few = b"".join(f"x-h{number}: 1\r\n".encode() for number in range(MAX_HEADERS - 10))
    assert (await exchange(live_server, post(few))).startswith(b"HTTP/1.1 200")


async def test_an_endless_header_is_cut_off_long_before_its_end(live_server: str) -> None:
    """A client that keeps sending one header line is answered and dropped after the
    limit, not read to the end (the worker's memory stays flat: see the closing note)."""
    host, port = live_server.split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /graphql HTTP/1.1\r\nhost: t\r\nx-endless: ")
    assert await send_until_refused(writer, 64 * 1024 * 1024) < 4 * 1024 * 1024
    writer.close()


async def test_bodies_over_the_limit_get_413_however_sent(live_server: str) -> None:
    declared = post(body=b"").replace(
        b"content-length: 0", f"content-length: {MAX_BODY_BYTES + 1}".encode()
    )
    assert (await exchange(live_server, declared)).startswith(b"HTTP/1.1 413")
    # Chunked, a byte over the limit and no end: refused once the limit is passed.
    big = b'{"query": "{ __typename }", "pad": "' + b"a" * MAX_BODY_BYTES + b'"}'
    unfinished = post(body=big[: MAX_BODY_BYTES + 1], chunked=True).removesuffix(b"0\r\n\r\n")
    answer = await exchange(live_server, unfinished)
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"BAD_USER_INPUT" in answer
    small = await exchange(live_server, post(body=QUERY, chunked=True))
    assert small.startswith(b"HTTP/1.1 200") and b"Query" in small


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_socket_that_never_says_who_it_is_is_closed(
    runtime: Runtime, protocol: str
) -> None:
    app = create_app(replace(runtime.settings, websocket_init_timeout_seconds=1), runtime)
    async with (
        serving(app) as address,
        connect(f"ws://{address}/graphql", subprotocols=[protocol]) as socket,  # type: ignore[list-item]
    ):
        closed = await until_closed(socket)
    assert closed.rcvd is not None and closed.rcvd.code == 4408


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_second_connection_init_closes_the_socket(
    api: Api, live_server: str, protocol: str
) -> None:
    init = json.dumps(
        {"type": "connection_init", "payload": {"authorization": f"Bearer {api.user('mei')}"}}
    )
    async with connect(f"ws://{live_server}/graphql", subprotocols=[protocol]) as socket:  # type: ignore[list-item]
        await socket.send(init)
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
        await socket.send(init)
        closed = await until_closed(socket)
    assert closed.rcvd is not None and closed.rcvd.code == 4429


async def test_closed_sockets_leave_no_task_behind(api: Api, live_server: str) -> None:
    """Keep-alives, expiry timers, init deadlines, subscriptions: all end with the socket."""
    await asyncio.sleep(0.1)
    before = len(asyncio.all_tasks())
    init = json.dumps(
        {"type": "connection_init", "payload": {"authorization": f"Bearer {api.user('mei')}"}}
    )
    start = json.dumps(
        {
            "id": "1",
            "type": "start",
            "payload": {"query": "subscription { pointsChanged { balance } }"},
        }
    )
    for _ in range(20):
        for protocol in ("graphql-ws", "graphql-transport-ws"):
            async with connect(f"ws://{live_server}/graphql", subprotocols=[protocol]) as socket:  # type: ignore[list-item]
                await socket.send(init)
                await asyncio.wait_for(socket.recv(), 5)
                if protocol == "graphql-ws":
                    await socket.send(start)
                    await asyncio.wait_for(socket.recv(), 5)
                await socket.send(init)  # a second init: closed
                await until_closed(socket)
    deadline = asyncio.get_running_loop().time() + 5
    while len(asyncio.all_tasks()) > before:
        assert asyncio.get_running_loop().time() < deadline, asyncio.all_tasks()
        await asyncio.sleep(0.05)
