"""What a subscription sends, and how it waits between events.

A subscription resolver describes its `Feed`: the channel it listens to, what it sends
first (`start`) and what it sends for messages that arrived (`updates`). `follow` drives a
feed in one of two ways:

- waiting in a task (the legacy `graphql-ws` protocol): one generator per subscription, alive
  as long as the subscription, awaiting its mailbox;
- waiting with no task (`graphql-transport-ws`, see `subscriptions.protocols`): the handler
  runs the operation with a `Standing` root value; once `start` is sent, the feed and its
  mailbox are handed to the handler and the operation's execution ends. Each batch of
  messages is then resolved by executing the operation again with a `Delivery` root value.
  A worker holding 10,000 sockets keeps 10,000 small objects, not 10,000 live executions
  (strawberry's extensions, graphql-core's executor and a task each, some 20 KiB).

Either way the channel is listened to before `start` reads anything, so what commits in
between arrives both ways and is told once (each feed knows what it sent last).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pointsmall.subscriptions.broker import Mailbox

if TYPE_CHECKING:
    from pointsmall.schema.context import Info

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Feed(Protocol[T_co]):
    """One subscription's state between events."""

    @property
    def channel(self) -> str: ...

    def start(self) -> AsyncIterator[T_co]:
        """What the subscriber gets first."""
        ...

    def updates(self, messages: list[str]) -> AsyncIterator[T_co]:
        """What the subscriber gets for these messages (in the order they arrived)."""
        ...


class Standing:
    """The root value of a subscription that waits with no task: `follow` hands over its
    feed and mailbox once the start is sent."""

    __slots__ = ("feed", "mailbox")

    def __init__(self) -> None:
        self.feed: Feed[Any] | None = None
        self.mailbox: Mailbox | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """The root value of an execution that resolves a waiting subscription's messages."""

    feed: Feed[Any]
    messages: list[str]


async def follow(info: Info, open_feed: Callable[[], Awaitable[Feed[T]]]) -> AsyncIterator[T]:
    """The items of a feed: `open_feed` builds it (checks and all) when the subscription
    starts; a `Delivery` resolves messages for the feed built then. Each item's fields
    resolve with loaders of their own (`start_event`), let go once it is sent."""
    context = info.context
    root = info.root_value
    if isinstance(root, Delivery):
        async for item in root.feed.updates(root.messages):
            context.start_event()
            yield item
            context.end_event()
        return
    feed = await open_feed()
    broker = context.runtime.broker
    mailbox = Mailbox()
    broker.listen(feed.channel, mailbox)
    try:
        async for item in feed.start():
            context.start_event()
            yield item
        context.end_event()
        if isinstance(root, Standing):
            root.feed, root.mailbox = feed, mailbox
            mailbox = None  # the handler's now
            return
        while True:
            messages = await mailbox.get_all()
            async for item in feed.updates(messages):
                context.start_event()
                yield item
                context.end_event()
    finally:
        if mailbox is not None:
            broker.forget(feed.channel, mailbox)
