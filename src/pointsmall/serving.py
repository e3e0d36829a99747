"""How uvicorn serves the app: one set of options for `pointsmall serve` and the tests.

uvicorn's httptools protocol reads a request's head (request line and headers) without a
limit: a client sending an endless header grows the worker's memory as fast as it sends.
`LimitedHttpToolsProtocol` answers 431 and closes the connection once a head passes
`MAX_HEAD_BYTES` or `MAX_HEADERS`, so memory stays flat whatever clients send.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import httptools
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_BODY_BYTES = 256 * 1024
MAX_WEBSOCKET_MESSAGE = 256 * 1024  # a subscription message is small
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\n"
    b"connection: close\r\n\r\n"
    b"request headers are too large\r\n"
)


# The collector's first generation runs after this many new container objects (Python's
# default is 700): a request makes thousands (ORM rows, query builders, GraphQL results),
# so the default collected several times a request, a tenth of a worker's time in the
# profiles of bench/ratios.py. Fewer, larger collections cost a little memory.
YOUNG_COLLECTION_THRESHOLD = 50_000


def settle_collector() -> None:
    """Once a worker has started: what it holds now (modules, schema, pools) lives as long
    as the process, so the collector stops looking at it (`gc.freeze`), and collects the
    young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


class HeadTooLarge(Exception):
    """Raised from a parser callback; the parser hands it back as a callback error."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with limits on the size and number of headers."""

    _in_head = True  # between the end of one message's headers and the next's
    _head_bytes = 0  # received while in a head: an endless header is cut off by this
    _parsed_head = 0

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._in_head:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, HeadTooLarge):
                self._refuse()
                return
            self._bad_request()
            return
        except httptools.HttpParserError:
            self._bad_request()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._parsed_head = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= MAX_HEADERS:
            raise HeadTooLarge
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        """A head that arrived whole in one read is measured as it is parsed."""
        self._parsed_head += size
        if self._parsed_head > MAX_HEAD_BYTES:
            raise HeadTooLarge

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True

    def _bad_request(self) -> None:
        message = "Invalid HTTP request received."
        self.logger.warning(message)
        self.send_400_response(message)

    def _refuse(self) -> None:
        self.logger.warning("request headers over the limit: 431, connection closed")
        self.transport.write(TOO_LARGE)
        self.transport.close()


class BodyLimit:
    """Refuse a request body over `MAX_BODY_BYTES` with 413 before anything parses it.

    A declared `content-length` over the limit is refused at once; a chunked body is read
    up to the limit (no further), then handed to the app as it came."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            await _too_large(scope, receive, send)
            return
        received: list[Message] = []
        size = 0
        while True:
            message = await receive()
            received.append(message)
            size += len(message.get("body", b""))
            if size > MAX_BODY_BYTES:
                await _too_large(scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(
        {
            "errors": [
                {"message": "request body too large", "extensions": {"code": "BAD_USER_INPUT"}}
            ]
        },
        status_code=413,
    )
    await response(scope, receive, send)


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, leaner for sockets that live for hours, 10,000 of them
    a worker: its receive queue and its "writable" flag are a list and a future (asyncio's
    Queue and Event cost some 5 KiB: deques, events and dicts), and the handshake's request
    and response (their headers parsed twice over, some 4 KiB) are let go once the socket
    is accepted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Gate()  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "request", None) is not None:
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]


class _Inbox:
    """What a socket received, for the app to read in order: the part of asyncio.Queue
    uvicorn uses."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class _Gate:
    """Whether a socket may write now (its transport's buffer is not full): the part of
    asyncio.Event uvicorn uses."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> None:
        if self._open:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter


def server_options() -> dict[str, Any]:
    """uvicorn's options, the same in production and in the tests."""
    return {
        "http": f"{__name__}:LimitedHttpToolsProtocol",  # a name: workers import it
        "ws": f"{__name__}:LeanWebSocketProtocol",
        "ws_max_size": MAX_WEBSOCKET_MESSAGE,
        # Off: its compressor costs some 45 KiB per socket (of about 100) to save about 200
        # bytes of a 230-byte notification: a few KiB a user a day, against 450 MB a
        # worker holding 10,000 sockets.
        "ws_per_message_deflate": False,
        "proxy_headers": True,
    }
