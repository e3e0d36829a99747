"""A user's tasks, check-ins and achievement, loaded in batches for one operation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from strawberry.dataloader import DataLoader

from pointsmall import clock
from pointsmall.dataloaders.ledger import AccountById
from pointsmall.domain.engagement import checkins
from pointsmall.domain.engagement.achievements import Achievement, achievement
from pointsmall.domain.engagement.checkins import CalendarDay, CheckInStatus
from pointsmall.domain.engagement.leaderboards import Leaderboards
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.engagement.task_views import TaskView, tasks_for
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account

CalendarKey = tuple[int, str | None]  # account id, month ("2026-11"; None: this month)


async def _rows(accounts: AccountById, ids: Sequence[int]) -> dict[int, Account]:
    """The accounts' rows, through the operation's account loader."""
    rows = {}
    for account_id, row in zip(ids, await accounts.load_many(ids), strict=True):
        assert row is not None, f"account {account_id} is asked about but has no row"
        rows[account_id] = row
    return rows


async def _task_views(
    accounts_by_id: AccountById, rules: LedgerRules, ids: Sequence[int]
) -> list[list[TaskView]]:
    accounts = await _rows(accounts_by_id, ids)
    return [await tasks_for(accounts[account_id], rules) for account_id in ids]


async def _check_ins(
    accounts_by_id: AccountById,
    ledger_rules: LedgerRules,
    rules: EngagementRules,
    ids: Sequence[int],
) -> list[CheckInStatus]:
    accounts = await _rows(accounts_by_id, ids)
    return [await checkins.status(accounts[account_id], ledger_rules, rules) for account_id in ids]


async def _calendars(
    accounts_by_id: AccountById, rules: LedgerRules, keys: Sequence[CalendarKey]
) -> list[list[CalendarDay]]:
    accounts = await _rows(accounts_by_id, [account_id for account_id, _ in keys])
    return [
        await checkins.month_calendar(accounts[account_id], month, rules.zone)
        for account_id, month in keys
    ]


async def _achievements(
    accounts_by_id: AccountById,
    boards: Leaderboards,
    ledger_rules: LedgerRules,
    rules: EngagementRules,
    ids: Sequence[int],
) -> list[Achievement]:
    accounts = await _rows(accounts_by_id, ids)
    now = clock.now()
    return [
        await achievement(accounts[account_id], boards, ledger_rules, rules, now)
        for account_id in ids
    ]


@dataclass
class EngagementLoaders:
    task_views: DataLoader[int, list[TaskView]]  # the user's open tasks, with progress
    check_in: DataLoader[int, CheckInStatus]
    calendar: DataLoader[CalendarKey, list[CalendarDay]]
    achievement: DataLoader[int, Achievement]

    @classmethod
    def create(
        cls,
        accounts: AccountById,
        ledger_rules: LedgerRules,
        rules: EngagementRules,
        boards: Leaderboards,
    ) -> EngagementLoaders:
        return cls(
            task_views=DataLoader(load_fn=partial(_task_views, accounts, ledger_rules)),
            check_in=DataLoader(load_fn=partial(_check_ins, accounts, ledger_rules, rules)),
            calendar=DataLoader(load_fn=partial(_calendars, accounts, ledger_rules)),
            achievement=DataLoader(
                load_fn=partial(_achievements, accounts, boards, ledger_rules, rules)
            ),
        )
