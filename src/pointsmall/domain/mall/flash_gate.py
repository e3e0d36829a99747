"""A Redis gate in front of the database for items with finite stock (flash sales).

One atomic script checks and takes, together, a unit of stock and (for quotas that are
the same for everyone: per sale window or lifetime) a unit of the user's quota, so once
an item is sold out thousands of further attempts are turned away by Redis alone. The
database's conditional updates stay the final guard: the gate can only let too many
through (they then fail there and give their unit back), never sell what is not there;
what it takes for an attempt that ends up creating nothing (a refusal, a replayed retry)
goes back to it.

A gate that is not primed (no stock key: Redis was flushed, or the item is new) says
UNKNOWN and the database decides alone; `prime` and `reconcile` set it from the database.
Concurrent retries of one idempotency key pass straight to the database, which replays.

When Redis does not answer, the gate steps aside (`take` says None) and the database alone
decides, exactly as ever; nothing the gate does after a commit can fail the redemption.
When Redis is back, the gates are reconciled from the database (see `RedisGuard`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pointsmall.domain.errors import OutOfStock, QuotaExceeded
from pointsmall.models import Account, Item, ItemStatus, QuotaUsage
from pointsmall.redis_client import RedisClient, RedisGuard

PREFIX = "pointsmall:gate"
IN_FLIGHT_SECONDS = 600
QUOTA_TTL_SECONDS = 400 * 86_400

TAKE = """
-- KEYS: stock, quota, in-flight marker. ARGV: quantity, quota limit (-1: none), TTLs.
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) == false then return 'RETRY' end
local stock = redis.call('GET', KEYS[1])
if not stock then return 'UNKNOWN' end
local quantity = tonumber(ARGV[1])
if tonumber(stock) < quantity then redis.call('DEL', KEYS[3]) return 'OUT_OF_STOCK' end
local limit = tonumber(ARGV[2])
if limit >= 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used + quantity > limit then redis.call('DEL', KEYS[3]) return 'QUOTA_EXCEEDED' end
  redis.call('INCRBY', KEYS[2], quantity)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
redis.call('DECRBY', KEYS[1], quantity)
return 'TAKEN'
"""

GIVE_BACK = """
-- ARGV: quantity, give back the quota ('1'), give back the stock ('1').
-- Only counters that still exist: a reconcile may have reset them meanwhile.
if ARGV[3] ~= '0' and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCRBY', KEYS[1], ARGV[1])
end
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('DECRBY', KEYS[2], ARGV[1])
end
redis.call('DEL', KEYS[3])
return 1
"""


class Verdict(enum.StrEnum):
    TAKEN = "TAKEN"  # a unit (and quota) is reserved: give it back if the database says no
    UNKNOWN = "UNKNOWN"  # gate not primed: the database decides
    RETRY = "RETRY"  # the same key is already in flight: the database replays it
    OUT_OF_STOCK = "OUT_OF_STOCK"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"


@dataclass(frozen=True)
class Pass:
    """What the gate said for one attempt, and what to give back if it fails later."""

    verdict: Verdict
    keys: tuple[str, str, str]
    quantity: int
    quota_gated: bool


# Every key of an item carries the item's hash tag ({42}), so a script that touches
# several of them runs on one node of a Redis Cluster.


def item_keys(item_id: int) -> str:
    return f"{PREFIX}:{{{item_id}}}"


def stock_key(item_id: int) -> str:
    return f"{item_keys(item_id)}:stock"


def quota_key(item_id: int, period: str, user_id: str) -> str:
    return f"{item_keys(item_id)}:quota:{period}:{user_id}"


def unused_key(item_id: int) -> str:
    """A key a script is handed but does not touch (a give-back of stock alone)."""
    return f"{item_keys(item_id)}:unused"


class FlashGate:
    def __init__(self, redis: RedisClient, guard: RedisGuard) -> None:
        self._redis = redis
        self._guard = guard
        self._take = redis.register_script(TAKE)
        self._give_back = redis.register_script(GIVE_BACK)

    async def take(
        self, item: Item, user_id: str, idempotency_key: str, quantity: int, period: str | None
    ) -> Pass | None:
        """Try to reserve `quantity` units for the user; `period` when the quota is gated.
        None when Redis does not answer: the database decides alone."""
        quota_gated = period is not None and item.per_user_quota is not None
        keys = (
            stock_key(item.id),
            quota_key(item.id, period, user_id) if period else unused_key(item.id),
            f"{item_keys(item.id)}:inflight:{user_id}:{idempotency_key}",
        )
        limit = item.per_user_quota if quota_gated and item.per_user_quota is not None else -1
        verdict = await self._guard.call(
            "flash-sale gate",
            lambda: self._take(
                keys=list(keys), args=[quantity, limit, IN_FLIGHT_SECONDS, QUOTA_TTL_SECONDS]
            ),
            None,
        )
        return None if verdict is None else Pass(Verdict(verdict), keys, quantity, quota_gated)

    async def give_back(
        self, taken: Pass, *, refused_by: OutOfStock | QuotaExceeded | None
    ) -> None:
        """The attempt created nothing: what it took goes back. But when the database
        refused it for want of stock (or quota) that the gate said was there, the gate was
        counting too many (a reconcile raced a commit): that unit is not given back, so the
        gate converges on the database instead of staying over for good."""
        if taken.verdict == Verdict.TAKEN:
            stock = "0" if isinstance(refused_by, OutOfStock) else "1"
            quota = "1" if taken.quota_gated and not isinstance(refused_by, QuotaExceeded) else "0"
            await self._guard.call(
                "flash-sale gate",
                lambda: self._give_back(keys=list(taken.keys), args=[taken.quantity, quota, stock]),
                None,
            )
        elif taken.verdict == Verdict.UNKNOWN:
            await self._guard.call("flash-sale gate", lambda: self._redis.delete(taken.keys[2]), 0)

    async def settle(self, taken: Pass) -> None:
        """The attempt committed: its in-flight marker may go (a retry replays from the DB).

        A RETRY never owned the marker: the attempt that did is still running."""
        if taken.verdict in (Verdict.TAKEN, Verdict.UNKNOWN):
            await self._guard.call("flash-sale gate", lambda: self._redis.delete(taken.keys[2]), 0)

    async def add_stock(self, item_id: int, quantity: int) -> None:
        """Units came back or were added in the database (after it committed)."""
        await self._guard.call(
            "flash-sale gate",
            lambda: self._give_back(
                keys=[stock_key(item_id), unused_key(item_id), unused_key(item_id)],
                args=[quantity, "0", "1"],
            ),
            None,
        )

    async def release_quota(self, item_id: int, period: str, user_id: str, quantity: int) -> None:
        key = quota_key(item_id, period, user_id)
        await self._guard.call(
            "flash-sale gate",
            lambda: self._give_back(
                keys=[unused_key(item_id), key, unused_key(item_id)], args=[quantity, "1", "0"]
            ),
            None,
        )

    async def prime(self, item: Item) -> None:
        """Gate an item by its stock in the database, read now (unlimited items are not
        gated). An attempt that commits between the read and the write leaves the gate one
        over, never under: the database refuses what is not there, and such a refusal takes
        the unit off the gate for good (`give_back`)."""

        async def set_stock() -> object:
            fresh = await Item.get_or_none(id=item.id)
            if fresh is None or fresh.stock_remaining is None:
                return await self._redis.delete(stock_key(item.id))
            return await self._redis.set(stock_key(item.id), fresh.stock_remaining)

        await self._guard.call("flash-sale gate", set_stock, None)

    async def reconcile(self, item: Item) -> None:
        """Reset an item's stock and quota counters to what the database says."""
        async for key in self._redis.scan_iter(match=f"{item_keys(item.id)}:quota:*", count=500):
            await self._redis.delete(key)
        await self.prime(item)
        if item.per_user_quota is None:
            return
        rows = await QuotaUsage.filter(item_id=item.id, used__gt=0).values_list(
            "account_id", "period", "used"
        )
        users = dict(
            await Account.filter(id__in=[row[0] for row in rows]).values_list("id", "user_id")
        )
        async with self._redis.pipeline(transaction=False) as pipe:
            for account_id, period, used in rows:
                pipe.set(quota_key(item.id, period, users[account_id]), used, ex=QUOTA_TTL_SECONDS)
            await pipe.execute()


async def reconcile_all(gate: FlashGate) -> int:
    """Reset every active item's gate from the database; returns how many were gated."""
    gated = 0
    for item in await Item.filter(status=ItemStatus.ACTIVE):
        await gate.reconcile(item)
        gated += item.stock_remaining is not None
    return gated


async def restate_stock(gate: FlashGate) -> int:
    """Set every gated item's stock from the database again (the scheduled check that
    keeps a gate that drifted, say a worker killed mid-redeem, within a minute of the
    truth); returns how many items are gated."""
    items = await Item.filter(status=ItemStatus.ACTIVE, stock_remaining__isnull=False)
    for item in items:
        await gate.prime(item)
    return len(items)
