"""leaderboard (anyone; the caller's own place when a user asks)."""

from __future__ import annotations

from redis.exceptions import RedisError

from pointsmall import access, clock
from pointsmall.domain.engagement.leaderboards import Period
from pointsmall.schema.context import Info
from pointsmall.schema.engagement.leaderboards import Leaderboard
from pointsmall.schema.errors import BadUserInput, Unavailable

MAX_BOARD = 100


async def leaderboard(info: Info, period: Period = Period.WEEKLY, first: int = 20) -> Leaderboard:
    """Points earned in the period: nicknames and points only."""
    if not 1 <= first <= MAX_BOARD:
        raise BadUserInput(f"first must be from 1 to {MAX_BOARD}")
    boards = info.context.runtime.leaderboards
    now = clock.now()
    viewer = await access.optional_viewer(info)
    try:
        entries = await boards.top(period, first, now)
        standing = await boards.standing(period, viewer.id, now) if viewer else None
    except (RedisError, OSError):
        raise Unavailable("the leaderboards are unavailable for a moment: try again") from None
    return Leaderboard.of(period, entries, standing)
