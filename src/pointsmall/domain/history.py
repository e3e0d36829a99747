"""Reading an account's history, newest first, a keyset page at a time."""

from __future__ import annotations

from pointsmall.models import Entry


async def entries_page(account_id: int, *, before_id: int | None, limit: int) -> list[Entry]:
    """Up to `limit` entries older than `before_id` (all when None), newest first."""
    query = Entry.filter(account_id=account_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)


async def entry_of_account(entry_id: int, account_id: int | None) -> Entry | None:
    """An entry by id, only if it belongs to `account_id` (None: any account, for admins)."""
    query = Entry.filter(id=entry_id)
    if account_id is not None:
        query = query.filter(account_id=account_id)
    return await query.first()
