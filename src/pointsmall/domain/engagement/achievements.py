"""The "my points achievement" card a user may share: what they earned, their check-in
streak, and how many of the ranked users they are ahead of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError

from pointsmall.domain.engagement import checkins
from pointsmall.domain.engagement.leaderboards import Leaderboards, Period
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.ledger.balances import points_earned
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account


@dataclass(frozen=True)
class Achievement:
    total_earned: int  # net of refunds
    streak: int
    rank_percentile: float | None  # share of ranked users behind, all time; None: unranked


async def achievement(
    account: Account,
    boards: Leaderboards,
    ledger_rules: LedgerRules,
    rules: EngagementRules,
    now: datetime,
) -> Achievement:
    status = await checkins.status(account, ledger_rules, rules)
    try:
        standing = await boards.standing(Period.ALL_TIME, account.id, now)
        ranked = await boards.size(Period.ALL_TIME, now)
    except (RedisError, OSError):  # the boards are away: no percentile for now
        standing, ranked = None, 0
    percentile = round(100 * (ranked - standing.rank) / ranked, 1) if standing and ranked else None
    return Achievement(await points_earned(account.id), status.streak, percentile)
