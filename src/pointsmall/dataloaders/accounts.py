"""Accounts and their points, batched per request."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from pointsmall import clock
from pointsmall.domain.ledger.balances import PointsSummary, live_lots, summarize
from pointsmall.models import Account


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


class PointsByAccountLoader(DataLoader[int, PointsSummary]):
    """Balances from live lots plus the account row (held, frozen), fresh at each request."""

    def __init__(self) -> None:
        super().__init__(load_fn=_summaries)
