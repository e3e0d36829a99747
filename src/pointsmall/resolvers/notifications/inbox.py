"""subscription notifications(after:), markNotificationsRead (user)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

import strawberry

from pointsmall import access, clock
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.notifications import inbox
from pointsmall.metrics import FANOUT_LAG
from pointsmall.resolvers.payloads import mutate
from pointsmall.runtime import account_channel
from pointsmall.schema.context import Info
from pointsmall.schema.errors import NotFoundError
from pointsmall.schema.notifications.inbox import (
    MarkNotificationsReadInput,
    MarkNotificationsReadPayload,
    Notification,
    notification_id,
)
from pointsmall.subscriptions.feeds import follow
from pointsmall.subscriptions.messages import NotificationStored, Resync, decode

BACKLOG_PAGE = 100


async def notifications(
    info: Info, after: strawberry.ID | None = None
) -> AsyncGenerator[Notification, None]:
    """The caller's notifications as they happen. With `after` (the last id seen), first
    everything since, in order: nothing missed, nothing twice."""

    async def open_feed() -> NotificationFeed:
        account = await access.viewer_account(info)
        try:
            last = notification_id(str(after), "after") if after else None
        except NotFound as error:
            raise NotFoundError(error.message) from None
        if last is None:  # from now on: what commits from here is delivered
            last = await inbox.latest_id(account.id)
        return NotificationFeed(account.id, last)

    async for notification in follow(info, open_feed):
        yield notification


class NotificationFeed:
    """A user's notifications after the last one sent."""

    __slots__ = ("account_id", "last")

    def __init__(self, account_id: int, last: int) -> None:
        self.account_id = account_id
        self.last = last

    @property
    def channel(self) -> str:
        return account_channel(self.account_id)

    def start(self) -> AsyncIterator[Notification]:
        return self._since_last()

    async def updates(self, messages: list[str]) -> AsyncIterator[Notification]:
        for text in messages:
            message = decode(text)
            if isinstance(message, NotificationStored) and message.id <= self.last:
                continue  # told already
            if isinstance(message, Resync) or (
                isinstance(message, NotificationStored) and message.previous != self.last
            ):
                # Fell behind the broker, or a message overtook one not here yet (or lost
                # while Redis was away): the inbox has them all, in order.
                async for missed in self._since_last():
                    yield missed
            elif isinstance(message, NotificationStored):
                self.last = message.id
                FANOUT_LAG.observe(max(0.0, (clock.now() - message.created_at).total_seconds()))
                yield Notification.of(message.id, message.notice, message.created_at)

    async def _since_last(self) -> AsyncIterator[Notification]:
        while True:
            rows = await inbox.page(
                self.account_id,
                after_id=self.last,
                before_id=None,
                limit=BACKLOG_PAGE,
                newest_first=False,
            )
            for row in rows:
                self.last = row.id
                yield Notification.from_model(row)
            if len(rows) < BACKLOG_PAGE:
                return


async def mark_notifications_read(
    info: Info, input: MarkNotificationsReadInput
) -> MarkNotificationsReadPayload:
    account = await access.viewer_account(info)

    async def work() -> MarkNotificationsReadPayload:
        if input.all == bool(input.ids):
            raise InvalidValue("give ids, or all: true", field="ids")
        ids = (
            None if input.all else [notification_id(str(value), "ids") for value in input.ids or []]
        )
        marked = await inbox.mark_read(account.id, ids)
        return MarkNotificationsReadPayload(
            marked=marked, unread_count=await inbox.unread_count(account.id)
        )

    return await mutate(info, MarkNotificationsReadPayload, work)
