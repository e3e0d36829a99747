"""The first step of redeeming: what it would cost, which points it would use, and every
problem in the way, without changing anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pointsmall import clock
from pointsmall.domain.campaigns import effects
from pointsmall.domain.errors import (
    AccountFrozen,
    DomainError,
    InsufficientPoints,
    OutOfStock,
    QuotaExceeded,
)
from pointsmall.domain.ledger.balances import PointsSummary, points_of
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.eligibility import eligibility_problem
from pointsmall.domain.mall.redemptions import checked_quantity, visible_item
from pointsmall.domain.mall.sale_windows import quota_period, sale_problem
from pointsmall.models import Account, Item, QuotaUsage


@dataclass(frozen=True)
class PointsUse:
    amount: int
    expires_at: datetime


@dataclass(frozen=True)
class Quote:
    item: Item
    quantity: int
    points: int
    cash_amount: int | None
    balance: int  # spendable now
    points_used: list[PointsUse]
    problems: list[DomainError]

    @property
    def can_redeem(self) -> bool:
        return not self.problems

    @property
    def points_short(self) -> int:
        return max(0, self.points - self.balance)

    @property
    def balance_after(self) -> int | None:
        """The spendable balance after redeeming; None when the points are not there."""
        return None if self.points_short else self.balance - self.points


async def quota_used(account_id: int, item: Item, period: str) -> int:
    usage = await QuotaUsage.get_or_none(account_id=account_id, item_id=item.id, period=period)
    return usage.used if usage else 0


def points_to_use(summary: PointsSummary, points: int) -> list[PointsUse]:
    """Which points a spend of `points` would take: spendable lots, earliest expiry first."""
    used: dict[datetime, int] = {}
    left = points
    spendable = sorted(
        (lot for lot in summary.lots if lot.available_at <= summary.at),
        key=lambda lot: lot.expires_at,
    )
    for lot in spendable:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        used[lot.expires_at] = used.get(lot.expires_at, 0) + take
        left -= take
    return [PointsUse(amount, moment) for moment, amount in used.items()]


async def quote(
    account: Account, item_id: int, quantity: int, zone: ZoneInfo, rules: LedgerRules
) -> Quote:
    """What a redemption would cost and take, and every problem that would block it."""
    checked_quantity(quantity)
    item = await visible_item(item_id)
    now = clock.now()
    problems: list[DomainError] = []
    if (not_eligible := await eligibility_problem(account, item, now, rules)) is not None:
        problems.append(not_eligible)
    if account.frozen:
        problems.append(AccountFrozen("this account is frozen"))
    if (problem := sale_problem(item, now, zone)) is not None:
        problems.append(problem)
    if item.stock_remaining is not None and item.stock_remaining < quantity:
        problems.append(OutOfStock(f"{item.stock_remaining} left", field="quantity"))
    if item.per_user_quota is not None:
        used = await quota_used(account.id, item, quota_period(item, now, zone))
        if used + quantity > item.per_user_quota:
            problems.append(
                QuotaExceeded(
                    f"{item.per_user_quota - used} of {item.per_user_quota} left in this period",
                    field="quantity",
                )
            )
    points = (
        effects.discounted(
            item.price_points, await effects.discount_percent(account, item, now, rules)
        )
        * quantity
    )
    summary = await points_of(account.id, now)
    if summary.balance < points:
        # Not a fault of any input: the user is short of points.
        problems.append(
            InsufficientPoints(
                f"needs {points:,} points, {summary.balance:,} available: "
                f"{points - summary.balance:,} more to go"
            )
        )
    return Quote(
        item=item,
        quantity=quantity,
        points=points,
        cash_amount=item.price_cash_amount * quantity if item.price_cash_amount else None,
        balance=summary.balance,
        points_used=points_to_use(summary, points),
        problems=problems,
    )
