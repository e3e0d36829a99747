"""The inbox, loaded in batches for one operation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader
from tortoise.functions import Count

from pointsmall.domain.notifications import inbox
from pointsmall.models import Notification


@dataclass(frozen=True)
class InboxPage:
    account_id: int
    before_id: int | None
    limit: int
    unread_only: bool


async def _pages(pages: Sequence[InboxPage]) -> list[list[Notification]]:
    return [
        await inbox.page(
            page.account_id,
            after_id=None,
            before_id=page.before_id,
            limit=page.limit,
            unread_only=page.unread_only,
        )
        for page in pages
    ]


async def _unread(ids: Sequence[int]) -> list[int]:
    rows = (
        await Notification.filter(account_id__in=list(ids), read_at__isnull=True)
        .annotate(unread=Count("id"))
        .group_by("account_id")
        .values_list("account_id", "unread")
    )
    counts = {int(account_id): int(unread) for account_id, unread in rows}
    return [counts.get(account_id, 0) for account_id in ids]


@dataclass
class NotificationLoaders:
    pages: DataLoader[InboxPage, list[Notification]]
    unread: DataLoader[int, int]

    @classmethod
    def create(cls) -> NotificationLoaders:
        return cls(pages=DataLoader(load_fn=_pages), unread=DataLoader(load_fn=_unread))
