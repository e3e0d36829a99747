"""Reading an account's history, newest first, a keyset page at a time."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from pointsmall.models import Entry


async def entries_page(
    account_id: int, *, before: tuple[datetime, int] | None, limit: int
) -> list[Entry]:
    """Up to `limit` entries older than `before` (its time and id; all when None), newest
    first: by time, then by id for entries of the same moment."""
    query = Entry.filter(account_id=account_id)
    if before is not None:
        moment, entry_id = before
        query = query.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=entry_id))
    return await query.order_by("-created_at", "-id").limit(limit)


async def entry_of_account(entry_id: int, account_id: int | None) -> Entry | None:
    """An entry by id, only if it belongs to `account_id` (None: any account, for admins)."""
    query = Entry.filter(id=entry_id)
    if account_id is not None:
        query = query.filter(account_id=account_id)
    return await query.first()
