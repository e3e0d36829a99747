"""Leaderboards of points earned per day, week, month and all time, in Redis sorted sets.

The database is the source of truth: a score is the net points issued to an account in the
period (earnings less refunded orders' points taken back), and `rebuild` recomputes every
set from the ledger. Between rebuilds, each committed issuance moves the scores of the
periods it falls in, atomically in Redis.

Ties: the earlier achiever ranks first. A score is `points + fraction`, where the fraction
shrinks as time passes (the moment the total was reached), so of two equal totals the one
reached earlier has the larger score. Doubles keep the order exact up to about two
million points per period, and approximately (to the minute, then hour) beyond.

Only nicknames and points are ever shown, and frozen accounts are left out: freezing takes
an account off every board, unfreezing puts it back with its scores recomputed.

A board's top entries (with their nicknames) are kept in the process for `TOP_SECONDS`:
the page is read far more often than it changes, and a second is live enough for a
ranking. This process's own writes drop them at once; a caller's own standing is always
read fresh.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pointsmall import sql
from pointsmall.models import Account
from pointsmall.redis_client import RedisClient, RedisGuard

PREFIX = "pointsmall:{leaderboard}"  # one hash tag: a script moves every period's board
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
TIME_SPAN = 2.0**32  # seconds the tie-breaking fraction can tell apart (~136 years)
KEEP = {"DAILY": 3 * 86_400, "WEEKLY": 15 * 86_400, "MONTHLY": 62 * 86_400}
TOP_SECONDS = timedelta(seconds=1)
MAX_TOPS = 64  # (board, size) pairs kept: four periods, a few page sizes

ADD = """
-- KEYS: the period sets; ARGV: member, points to add, fraction for now, TTLs per key
for index, key in ipairs(KEYS) do
  local current = tonumber(redis.call('ZSCORE', key, ARGV[1]) or '0')
  local points = math.floor(current) + tonumber(ARGV[2])
  redis.call('ZADD', key, points + tonumber(ARGV[3]), ARGV[1])
  local ttl = tonumber(ARGV[3 + index])
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
end
return 1
"""


class Period(enum.StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    ALL_TIME = "ALL_TIME"


def period_start(period: Period, moment: datetime, zone: ZoneInfo) -> datetime | None:
    local = moment.astimezone(zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == Period.DAILY:
        return day.astimezone(UTC)
    if period == Period.WEEKLY:
        return (day - timedelta(days=day.weekday())).astimezone(UTC)
    if period == Period.MONTHLY:
        return day.replace(day=1).astimezone(UTC)
    return None


def board_key(period: Period, moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    if period == Period.DAILY:
        return f"{PREFIX}:day:{local.date().isoformat()}"
    if period == Period.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"{PREFIX}:week:{year}-W{week:02d}"
    if period == Period.MONTHLY:
        return f"{PREFIX}:month:{local.year}-{local.month:02d}"
    return f"{PREFIX}:all"


def fraction(moment: datetime) -> float:
    """In (0, 1): larger for earlier moments."""
    elapsed = max(0.0, (moment - EPOCH).total_seconds())
    return 1.0 - min(elapsed, TIME_SPAN - 1) / TIME_SPAN


@dataclass(frozen=True)
class Standing:
    rank: int
    points: int


@dataclass(frozen=True)
class BoardEntry:
    rank: int
    nickname: str
    points: int


class Leaderboards:
    """The boards in Redis. Writes (after a commit) never fail: while Redis is away they are
    skipped, and the boards are rebuilt from the ledger when it is back. Reads raise
    `RedisError` when Redis does not answer."""

    def __init__(self, redis: RedisClient, zone: ZoneInfo, guard: RedisGuard) -> None:
        self._redis = redis
        self._zone = zone
        self._guard = guard
        self._add = redis.register_script(ADD)
        self._tops: dict[tuple[str, int], tuple[datetime, list[BoardEntry]]] = {}

    async def add(self, account_id: int, points: int, at: datetime) -> None:
        """Move the account's scores in the periods containing `at` (after a commit)."""
        self._tops.clear()
        keys = [board_key(period, at, self._zone) for period in Period]
        ttls = [KEEP.get(period.value, 0) for period in Period]
        await self._guard.call(
            "leaderboards",
            lambda: self._add(keys=keys, args=[str(account_id), points, fraction(at), *ttls]),
            None,
        )

    async def remove(self, account_id: int, now: datetime) -> None:
        self._tops.clear()

        async def remove_everywhere() -> None:
            for period in Period:
                await self._redis.zrem(board_key(period, now, self._zone), str(account_id))

        await self._guard.call("leaderboards", remove_everywhere, None)

    async def rescore(self, now: datetime, account_ids: list[int]) -> None:
        """Recompute some accounts' scores (after a commit: an account unfrozen)."""
        await self._guard.call("leaderboards", lambda: self.rebuild(now, account_ids), 0)

    async def top(self, period: Period, first: int, now: datetime) -> list[BoardEntry]:
        key = board_key(period, now, self._zone)
        kept = self._tops.get((key, first))
        if kept is not None and now < kept[0]:
            return kept[1]
        # Ranked: a positive net score (a refund in a later period can leave one below 0).
        rows = await self._redis.zrevrangebyscore(
            key, "+inf", 1, start=0, num=first, withscores=True
        )
        scores = [(int(row[0]), math.floor(float(row[1]))) for row in rows]
        accounts = await Account.filter(id__in=[account_id for account_id, _ in scores])
        nicknames = {account.id: account.nickname for account in accounts}
        entries = [
            BoardEntry(rank, nicknames.get(account_id) or "Anonymous", points)
            for rank, (account_id, points) in enumerate(scores, 1)
        ]
        if len(self._tops) >= MAX_TOPS:
            self._tops.clear()
        self._tops[(key, first)] = (now + TOP_SECONDS, entries)
        return entries

    async def standing(self, period: Period, account_id: int, now: datetime) -> Standing | None:
        key = board_key(period, now, self._zone)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrevrank(key, str(account_id))
            pipe.zscore(key, str(account_id))
            rank, score = await pipe.execute()
        if rank is None or score < 1:
            return None
        return Standing(rank=int(rank) + 1, points=math.floor(score))

    async def size(self, period: Period, now: datetime) -> int:
        """How many are ranked (a positive score)."""
        return int(await self._redis.zcount(board_key(period, now, self._zone), 1, "+inf"))

    async def rebuild(self, now: datetime, account_ids: list[int] | None = None) -> int:
        """Recompute the current periods' boards (or some accounts' scores) from the ledger."""
        self._tops.clear()
        written = 0
        for period in Period:
            key = board_key(period, now, self._zone)
            scores = await _scores(period_start(period, now, self._zone), account_ids)
            async with self._redis.pipeline(transaction=True) as pipe:
                if account_ids is None:
                    pipe.delete(key)
                else:
                    pipe.zrem(key, *[str(account_id) for account_id in account_ids])
                if scores:
                    pipe.zadd(key, scores)
                ttl = KEEP.get(period.value, 0)
                if ttl:
                    pipe.expire(key, ttl)
                await pipe.execute()
            written += len(scores)
        return written


async def _scores(since: datetime | None, account_ids: list[int] | None) -> dict[str, float]:
    """Net points issued per active account since `since`, with the tie-breaking fraction."""
    clauses = ["e.\"counterparty\" = 'ISSUED'", 'a."frozen" = $1']
    params: list[object] = [False]
    if since is not None:
        params.append(since)
        clauses.append(f'e."created_at" >= ${len(params)}')
    if account_ids:
        among, among_params = sql.among('e."account_id"', account_ids, len(params) + 1)
        clauses.append(among)
        params += among_params
    rows = await sql.fetch(
        'SELECT e."account_id" AS account_id, SUM(e."amount") AS points, '
        'MAX(e."created_at") AS reached FROM "ledger_entry" e '
        'JOIN "account" a ON a."id" = e."account_id" '
        f'WHERE {" AND ".join(clauses)} GROUP BY e."account_id"',
        *params,
    )
    scores: dict[str, float] = {}
    for row in rows:
        scores[str(row["account_id"])] = int(row["points"]) + fraction(sql.moment(row["reached"]))
    return scores
