"""Publish/subscribe between all worker processes.

`RedisBroker`: each process holds one Redis pub/sub connection, pattern-subscribed to every
pointsmall channel, and fans messages out to its own in-process subscribers: one Redis
connection per worker, not per websocket. If Redis goes away, the reader reconnects and
subscribes again by itself. `LocalBroker` does the same inside one process when REDIS_URL
is not set.

A slow subscriber never holds up the others: each has a bounded queue, and when it is
full its backlog is replaced by one `resync` message, upon which it rereads from the
durable inbox what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

from redis.exceptions import RedisError

from pointsmall.redis_client import RedisClient, RedisGuard
from pointsmall.subscriptions.messages import RESYNC

log = logging.getLogger("pointsmall.broker")
PREFIX = "pointsmall:"
QUEUE_SIZE = 256


class Mailbox:
    """One subscriber's messages, in order, at most QUEUE_SIZE of them (beyond: one resync).

    A worker holds one a subscription, thousands of them: a list and, while its reader
    waits, a future (asyncio.Queue would cost some 3 KiB each: three deques and an event).
    A subscription waiting with no task is told of new messages by `wake` instead.
    """

    __slots__ = ("_messages", "_waiter", "wake")

    def __init__(self) -> None:
        self._messages: list[str] = []
        self._waiter: asyncio.Future[None] | None = None
        self.wake: Callable[[], None] | None = None

    def put(self, message: str) -> None:
        if len(self._messages) >= QUEUE_SIZE:
            # The subscriber fell behind: it gets one "resync" instead of the backlog and
            # rereads what it missed from the durable inbox.
            self._messages.clear()
            message = RESYNC
        self._messages.append(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self.wake is not None:
            self.wake()

    @property
    def has_messages(self) -> bool:
        return bool(self._messages)

    async def get_all(self) -> list[str]:
        """Every message waiting, waiting for at least one."""
        while not self._messages:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self.take_all()

    def take_all(self) -> list[str]:
        """Every message waiting, without waiting."""
        messages, self._messages = self._messages, []
        return messages


class Broker(Protocol):
    async def publish(self, channel: str, message: str) -> None: ...

    def listen(self, channel: str, mailbox: Mailbox) -> None: ...

    def forget(self, channel: str, mailbox: Mailbox) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    @property
    def subscribers(self) -> int:
        """Subscriptions open in this process."""
        ...


class LocalBroker:
    """Fan-out to the subscribers of this process."""

    def __init__(self) -> None:
        self._mailboxes: dict[str, set[Mailbox]] = defaultdict(set)

    async def publish(self, channel: str, message: str) -> None:
        self.deliver(channel, message)

    def deliver(self, channel: str, message: str) -> None:
        for mailbox in self._mailboxes.get(channel, ()):
            mailbox.put(message)

    def resync_all(self) -> None:
        """Tell every local subscriber to reread the inbox: messages may have been lost."""
        for mailboxes in self._mailboxes.values():
            for mailbox in mailboxes:
                mailbox.put(RESYNC)

    def listen(self, channel: str, mailbox: Mailbox) -> None:
        """From now on, the channel's messages go to this mailbox too."""
        self._mailboxes[channel].add(mailbox)

    def forget(self, channel: str, mailbox: Mailbox) -> None:
        mailboxes = self._mailboxes.get(channel)
        if mailboxes is not None:
            mailboxes.discard(mailbox)
            if not mailboxes:
                del self._mailboxes[channel]

    @property
    def subscribers(self) -> int:
        return sum(len(mailboxes) for mailboxes in self._mailboxes.values())

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisBroker(LocalBroker):
    """Publish through Redis; one reader per process feeds the local subscribers."""

    def __init__(self, redis: RedisClient, guard: RedisGuard, *, retry_delay: float = 0.5) -> None:
        super().__init__()
        self._redis = redis
        self._guard = guard
        self._retry_delay = retry_delay
        self._reader: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    async def publish(self, channel: str, message: str) -> None:
        """Publish, or (Redis away) skip: what is lost is in the inbox, and subscribers
        reread it when the reader is back (`resync_all`)."""
        await self._guard.call("broker", lambda: self._redis.publish(PREFIX + channel, message), 0)

    async def start(self, timeout: float = 5.0) -> None:
        """Start reading; wait (a little) until subscribed, so nothing published is missed."""
        self._reader = asyncio.create_task(self._read_forever(), name="broker-reader")
        try:
            await asyncio.wait_for(self.connected.wait(), timeout)
        except TimeoutError:
            log.warning("broker: Redis not reachable yet; will keep trying")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read_forever(self) -> None:
        lost = False
        while True:
            pubsub = None
            try:
                await self._redis.initialize()  # a cluster client learns its slots here
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.psubscribe(PREFIX + "*")
                self.connected.set()
                if lost:  # what was published while we were away never reached us
                    self.resync_all()
                    self._guard.answered()  # Redis is back: the gates and boards catch up
                    lost = False
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is not None and message["type"] == "pmessage":
                        self.deliver(message["channel"].removeprefix(PREFIX), message["data"])
            except (RedisError, OSError) as error:
                self.connected.clear()
                lost = True
                log.warning("broker lost Redis (%s); reconnecting", error)
                await asyncio.sleep(self._retry_delay)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(RedisError, OSError):
                        await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]
