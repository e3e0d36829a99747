"""subscription notifications(after:), markNotificationsRead (user)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from pointsmall import access
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.notifications import inbox
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
from pointsmall.subscriptions.messages import NotificationStored, Resync, decode

BACKLOG_PAGE = 100


async def notifications(
    info: Info, after: strawberry.ID | None = None
) -> AsyncGenerator[Notification, None]:
    """The caller's notifications as they happen. With `after` (the last id seen), first
    everything since, in order: nothing missed, nothing twice."""
    account = await access.viewer_account(info)
    try:
        last = notification_id(str(after), "after") if after else None
    except NotFound as error:
        raise NotFoundError(error.message) from None
    if last is None:  # from now on: what commits from here is delivered
        last = await inbox.latest_id(account.id)
    async with info.context.runtime.broker.subscribe(account_channel(account.id)) as queue:
        # Subscribed first, then the backlog: what commits in between comes both ways and
        # is told once, by id.
        async for missed in _since(account.id, last):
            last = missed.id
            info.context.start_event()
            yield missed
        info.context.end_event()
        while True:
            message = decode(await queue.get())
            if isinstance(message, NotificationStored) and message.id <= last:
                continue  # told already
            if isinstance(message, Resync) or (
                isinstance(message, NotificationStored) and message.previous != last
            ):
                # Fell behind the broker, or a message overtook one not here yet (or lost
                # while Redis was away): the inbox has them all, in order.
                async for missed in _since(account.id, last):
                    last = missed.id
                    info.context.start_event()
                    yield missed
                    info.context.end_event()
                continue
            if isinstance(message, NotificationStored):
                last = message.id
                info.context.start_event()
                yield Notification.of(message.id, message.notice, message.created_at)
                info.context.end_event()


async def _since(account_id: int, after_id: int) -> AsyncGenerator[Notification, None]:
    while True:
        rows = await inbox.page(
            account_id, after_id=after_id, before_id=None, limit=BACKLOG_PAGE, newest_first=False
        )
        for row in rows:
            after_id = row.id
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
