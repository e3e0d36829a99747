"""Accounts, their points and their history, loaded in batches for one operation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from strawberry.dataloader import DataLoader

from pointsmall import clock
from pointsmall.domain.ledger.balances import PointsSummary, live_lots, summarize
from pointsmall.domain.ledger.history import entries_page
from pointsmall.models import Account, Entry


async def _accounts(ids: Sequence[int]) -> list[Account | None]:
    found = {account.id: account for account in await Account.filter(id__in=list(ids))}
    return [found.get(account_id) for account_id in ids]


async def _summaries(ids: Sequence[int]) -> list[PointsSummary]:
    accounts = {account.id: account for account in await Account.filter(id__in=list(ids))}
    lots = await live_lots(ids)
    now = clock.now()
    return [
        summarize(
            lots[account_id],
            held=accounts[account_id].held,
            frozen=accounts[account_id].frozen,
            at=now,
            owed=accounts[account_id].debt,
        )
        for account_id in ids
    ]


@dataclass(frozen=True)
class EntriesPage:
    account_id: int
    before: tuple[datetime, int] | None  # (time, id) of the last entry seen
    limit: int


async def _entry_pages(pages: Sequence[EntriesPage]) -> list[list[Entry]]:
    return [
        await entries_page(page.account_id, before=page.before, limit=page.limit) for page in pages
    ]


class AccountById(DataLoader[int, Account | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_accounts)


class PointsByAccount(DataLoader[int, PointsSummary]):
    """Balances from live lots plus the account row (held, frozen, owed)."""

    def __init__(self) -> None:
        super().__init__(load_fn=_summaries)


class EntryPages(DataLoader[EntriesPage, list[Entry]]):
    """A page of one account's history (one keyset read a page)."""

    def __init__(self) -> None:
        super().__init__(load_fn=_entry_pages)


@dataclass
class LedgerLoaders:
    account: AccountById
    points: PointsByAccount
    entry_pages: EntryPages

    @classmethod
    def create(cls) -> LedgerLoaders:
        return cls(AccountById(), PointsByAccount(), EntryPages())
