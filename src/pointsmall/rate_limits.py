"""Rate limits: token buckets in Redis (the in-process stand-in on the embedded default).

Each root field of an operation costs one token of its class: `read` (queries, and starting
a subscription), `write` (mutations), `redeem`, and `engage` (check-ins, shares, claims,
whose rewards make them worth farming). A user draws from buckets of their own; anonymous
callers from buckets of their address; and every call by a user or an anonymous caller
also from the bucket of its client address. The shop's back end and admins draw from one
bucket each, with limits of their own, whatever their address (a batch feed comes from a
few hosts). While Redis is away nothing is limited: the guard says so once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from pointsmall.auth import Principal, Role
from pointsmall.config import Rate, RateLimits
from pointsmall.redis_client import RedisClient, RedisGuard

PREFIX = "pointsmall:rate"
REDEEM_FIELDS = frozenset({"redeem"})
ENGAGE_FIELDS = frozenset({"checkIn", "share", "openShare", "claimTaskReward"})

TAKE = """
-- KEYS[1]: the bucket. ARGV: capacity, tokens per second, now (ms), cost.
-- Returns 0 when the tokens were taken, else the milliseconds until there are enough.
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) / 1000 * rate)
if tokens < cost then
  return math.ceil((cost - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - cost), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return 0
"""


@dataclass(frozen=True)
class Draw:
    """Tokens to take from one bucket."""

    key: str
    rate: Rate
    cost: int


class RateLimiter:
    def __init__(self, redis: RedisClient, guard: RedisGuard, limits: RateLimits | None) -> None:
        self.limits = limits
        self._guard = guard
        self._take = redis.register_script(TAKE)

    async def take(self, draws: Iterable[Draw]) -> int:
        """Take every draw's tokens; else the seconds to wait, at the first bucket short."""
        for draw in draws:
            wait_ms = await self._guard.call("rate limits", partial(self._wait_ms, draw), 0)
            if wait_ms:
                return max(1, math.ceil(wait_ms / 1000))
        return 0

    async def _wait_ms(self, draw: Draw) -> int:
        rate = draw.rate
        now_ms = int(time.time() * 1000)
        keys = [f"{PREFIX}:{draw.key}"]
        args = [rate.count, rate.count / rate.seconds, now_ms, min(draw.cost, rate.count)]
        return int(await self._take(keys=keys, args=args))


def draws_for(
    limits: RateLimits,
    principal: Principal | None,
    address: str | None,
    costs: dict[str, int],
) -> list[Draw]:
    """The buckets a call draws from, for its cost per class."""
    total = sum(costs.values())
    if principal is not None and principal.has(Role.SERVICE):
        return [Draw(f"service:{principal.user_id}", limits.service, total)]
    if principal is not None and principal.has(Role.ADMIN):
        return [Draw(f"admin:{principal.user_id}", limits.admin, total)]
    caller = f"user:{principal.user_id}" if principal is not None else f"address:{address}"
    draws = [
        Draw(f"{kind}:{caller}", getattr(limits, kind), cost)
        for kind, cost in costs.items()
        if cost
    ]
    if address is not None:
        draws.append(Draw(f"address:{address}", limits.address, total))
    return draws


def costs_of(operation_type: str, root_fields: list[str]) -> dict[str, int]:
    costs = {"read": 0, "write": 0, "redeem": 0, "engage": 0}
    for name in root_fields:
        if operation_type != "mutation":
            costs["read"] += 1
        elif name in REDEEM_FIELDS:
            costs["redeem"] += 1
        elif name in ENGAGE_FIELDS:
            costs["engage"] += 1
        else:
            costs["write"] += 1
    return costs
