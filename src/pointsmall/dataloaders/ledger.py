"""Accounts, their points and their history, loaded in batches for one operation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from strawberry.dataloader import DataLoader

from pointsmall import clock
from pointsmall.domain.audience.tier_rules import TierRules
from pointsmall.domain.audience.tiers import Standing, standings_of
from pointsmall.domain.ledger.balances import PointsSummary, live_lots, summarize
from pointsmall.domain.ledger.history import entries_page
from pointsmall.domain.risk.cases import recent_signals
from pointsmall.models import Account, Entry, RiskSignal


async def _accounts(ids: Sequence[int]) -> list[Account | None]:
    found = {account.id: account for account in await Account.filter(id__in=list(ids))}
    return [found.get(account_id) for account_id in ids]


@dataclass(frozen=True)
class EntriesPage:
    account_id: int
    before: tuple[datetime, int] | None  # (time, id) of the last entry seen
    limit: int


async def _entry_pages(pages: Sequence[EntriesPage]) -> list[list[Entry]]:
    return [
        await entries_page(page.account_id, before=page.before, limit=page.limit) for page in pages
    ]


@dataclass(frozen=True)
class SignalsOf:
    account_ids: tuple[int, ...]  # a case's accounts
    limit: int


async def _signals(keys: Sequence[SignalsOf]) -> list[list[RiskSignal]]:
    return [await recent_signals(key.account_ids, key.limit) for key in keys]


class SignalsOfAccounts(DataLoader[SignalsOf, list[RiskSignal]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_signals)


class AccountById(DataLoader[int, Account | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_accounts)


class PointsByAccount(DataLoader[int, PointsSummary]):
    """Balances from live lots plus the account row (held, frozen, owed), the row through
    the operation's account loader (so the caller's own row, already read, is not read again)."""

    def __init__(self, accounts: AccountById) -> None:
        super().__init__(load_fn=self._summaries)
        self.accounts = accounts

    async def _summaries(self, ids: Sequence[int]) -> list[PointsSummary]:
        rows = await self.accounts.load_many(ids)
        lots = await live_lots(ids)
        now = clock.now()
        summaries = []
        for account_id, row in zip(ids, rows, strict=True):
            assert row is not None, f"account {account_id} has points but no row"
            summaries.append(
                summarize(lots[account_id], held=row.held, frozen=row.frozen, at=now, owed=row.debt)
            )
        return summaries


class EntryPages(DataLoader[EntriesPage, list[Entry]]):
    """A page of one account's history (one keyset read a page)."""

    def __init__(self) -> None:
        super().__init__(load_fn=_entry_pages)


class TierByAccount(DataLoader[int, Standing]):
    """Each account's tier and what it earned in 12 months (one aggregate for the batch)."""

    def __init__(self, accounts: AccountById, rules: TierRules) -> None:
        super().__init__(load_fn=self._standings)
        self.accounts = accounts
        self.rules = rules

    async def _standings(self, ids: Sequence[int]) -> list[Standing]:
        rows = await self.accounts.load_many(ids)
        accounts = [row for row in rows if row is not None]
        found = await standings_of(accounts, clock.now(), self.rules)
        return [found[account_id] for account_id in ids]


@dataclass
class LedgerLoaders:
    account: AccountById
    points: PointsByAccount
    entry_pages: EntryPages
    tier: TierByAccount
    signals: SignalsOfAccounts

    @classmethod
    def create(cls, tiers: TierRules) -> LedgerLoaders:
        accounts = AccountById()
        return cls(
            accounts,
            PointsByAccount(accounts),
            EntryPages(),
            TierByAccount(accounts, tiers),
            SignalsOfAccounts(),
        )
