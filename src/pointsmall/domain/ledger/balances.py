"""An account's points at a moment, from its live lots: no history is summed on a read.

Live lots are those with `remaining > 0` (a partial index keeps them one small indexed
read). A lot counts as spendable while `available_at <= t < expires_at`, as pending before
`available_at`, and not at all from `expires_at` on, whether or not the sweep has run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pointsmall import sql
from pointsmall.models import Account, Counterparty, Entry


@dataclass(frozen=True)
class LiveLot:
    remaining: int
    available_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ExpiringPoints:
    amount: int
    expires_at: datetime


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    pending: int
    held: int
    frozen: bool
    at: datetime
    owed: int
    lots: Sequence[LiveLot]

    @property
    def figures(self) -> tuple[int, int, int, bool, int]:
        """What a client is shown: two summaries with the same figures look the same."""
        return (self.balance, self.pending, self.held, self.frozen, self.owed)

    def expiring_within(self, period: timedelta) -> list[ExpiringPoints]:
        """Points (spendable or pending) that expire before `at + period`, by expiry time."""
        horizon = self.at + period
        by_time: dict[datetime, int] = defaultdict(int)
        for lot in self.lots:
            if self.at < lot.expires_at <= horizon:
                by_time[lot.expires_at] += lot.remaining
        return [ExpiringPoints(amount, moment) for moment, amount in sorted(by_time.items())]

    @property
    def next_change(self) -> datetime | None:
        """The next moment these figures change with no write: points becoming spendable
        or expiring."""
        moments = [
            moment
            for lot in self.lots
            for moment in (lot.available_at, lot.expires_at)
            if moment > self.at
        ]
        return min(moments, default=None)

    def next_expiry(self) -> ExpiringPoints | None:
        upcoming = [lot for lot in self.lots if lot.expires_at > self.at]
        if not upcoming:
            return None
        first = min(lot.expires_at for lot in upcoming)
        return ExpiringPoints(
            sum(lot.remaining for lot in upcoming if lot.expires_at == first), first
        )


def summarize(
    lots: Iterable[LiveLot], *, held: int, frozen: bool, at: datetime, owed: int = 0
) -> PointsSummary:
    live = [lot for lot in lots if lot.remaining > 0 and lot.expires_at > at]
    return PointsSummary(
        balance=sum(lot.remaining for lot in live if lot.available_at <= at),
        pending=sum(lot.remaining for lot in live if lot.available_at > at),
        held=held,
        frozen=frozen,
        at=at,
        owed=owed,
        lots=live,
    )


async def live_lots(account_ids: Sequence[int]) -> dict[int, list[LiveLot]]:
    """The live lots of several accounts in one query (for dataloaders)."""
    # Plain SQL: read on every points summary, where the ORM's query building was half
    # the cost (bench/ratios.py's profiles).
    among, params = sql.among('"account_id"', account_ids, 1)
    rows = await sql.fetch(
        'SELECT "account_id", "remaining", "available_at", "expires_at" FROM "points_lot" '
        f'WHERE {among} AND "remaining" > 0',
        *params,
    )
    by_account: dict[int, list[LiveLot]] = {account_id: [] for account_id in account_ids}
    for row in rows:
        lot = LiveLot(
            int(row["remaining"]), sql.moment(row["available_at"]), sql.moment(row["expires_at"])
        )
        by_account[int(row["account_id"])].append(lot)
    return by_account


async def points_of(account_id: int, at: datetime) -> PointsSummary:
    """One account's points now, read fresh (live updates re-read after every change)."""
    account = await Account.get(id=account_id)
    lots = await live_lots([account_id])
    return summarize(
        lots[account_id], held=account.held, frozen=account.frozen, at=at, owed=account.debt
    )


async def points_earned(account_id: int) -> int:
    """Points ever issued to the account, net of refunds taken back (an achievement)."""
    issued = await Entry.filter(account_id=account_id, counterparty=Counterparty.ISSUED).only(
        "id", "amount"
    )
    return sum(entry.amount for entry in issued)
