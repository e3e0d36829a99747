"""What a running process holds: settings, rules, Redis, the broker, the flash-sale gate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from pointsmall import clock, sealing
from pointsmall.auth import TokenVerifier
from pointsmall.config import Settings
from pointsmall.db import open_database
from pointsmall.domain import events
from pointsmall.domain.campaigns.effects import score_points_issued
from pointsmall.domain.engagement.leaderboards import Leaderboards
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.flash_gate import FlashGate, reconcile_all
from pointsmall.domain.mall.sale_windows import quota_is_zone_free
from pointsmall.models import Account, Item
from pointsmall.rate_limits import RateLimiter
from pointsmall.redis_client import RedisClient, RedisGuard, connect_redis
from pointsmall.response_cache import ResponseCache
from pointsmall.subscriptions import messages
from pointsmall.subscriptions.broker import Broker, LocalBroker, RedisBroker
from pointsmall.subscriptions.messages import NotificationStored, PointsMoved, Queued


@dataclass
class Runtime:
    settings: Settings
    rules: LedgerRules
    redis: RedisClient
    broker: Broker
    guard: RedisGuard
    gate: FlashGate
    engagement: EngagementRules
    leaderboards: Leaderboards
    rate_limiter: RateLimiter
    tokens: TokenVerifier
    responses: ResponseCache | None  # None: RESPONSE_CACHE=off


def ledger_rules(settings: Settings) -> LedgerRules:
    return LedgerRules(
        expiry=settings.points_expiry,
        zone=settings.zone,
        reversal_grace=timedelta(days=settings.reversal_grace_days),
        tiers=settings.tiers,
        signal_key=settings.jwt_secret,
    )


def engagement_rules(settings: Settings) -> EngagementRules:
    return EngagementRules(
        currency=settings.currency,
        points_per_currency_unit=settings.points_per_currency_unit,
        default_rate_basis_points=round(settings.default_earning_rate_percent * 100),
        order_points_cap=settings.order_points_cap,
        return_window=timedelta(days=settings.return_window_days),
        first_order_multiplier=settings.first_order_multiplier,
        lifecycle=settings.lifecycle,
        gifts=settings.gifts,
        check_in_rewards=settings.check_in_rewards,
        share_reward=settings.share_reward,
        share_daily_cap=settings.share_daily_cap,
        share_open_reward=settings.share_open_reward,
        share_open_daily_cap=settings.share_open_daily_cap,
        share_base_url=settings.share_base_url,
    )


def account_channel(account_id: int) -> str:
    return f"account:{account_id}"


REVIEWS_CHANNEL = "reviews"  # what waits for ops (admins' subscriptions)


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, database: bool = True, redis: RedisClient | None = None
) -> AsyncIterator[Runtime]:
    """Connect what the process needs for the duration of the block.

    `database=False` when the caller already holds a database context (tests, CLI);
    `redis` to use a client the caller owns.
    """
    sealing.use(settings.keyring)  # personal data sealed at rest with these keys
    async with AsyncExitStack() as stack:
        if redis is None:
            redis = await stack.enter_async_context(connect_redis(settings.redis_url))
        guard = RedisGuard(redis)
        stack.push_async_callback(guard.close)
        broker: Broker = RedisBroker(redis, guard) if settings.redis_url else LocalBroker()
        await broker.start()
        stack.push_async_callback(broker.stop)

        gate = FlashGate(redis, guard)
        boards = Leaderboards(redis, settings.zone, guard)
        # Back from an outage: what Redis missed (or lost, restarted empty) is made whole.
        guard.on_recovery(partial(reconcile_all, gate))
        guard.on_recovery(lambda: boards.rebuild(clock.now()))
        responses = (
            ResponseCache(
                redis,
                guard,
                seconds=settings.response_cache_seconds,
                max_bytes=settings.response_cache_bytes,
            )
            if settings.response_cache
            else None
        )
        stack.callback(events.listen(partial(announce, broker, gate, boards, responses)))
        # POINTS_EARNED rankings move as points are issued, like the leaderboards.
        stack.callback(events.listen(partial(score_points_issued, ledger_rules(settings))))
        if database:
            await stack.enter_async_context(
                open_database(
                    settings.database_url,
                    pool_size=settings.database_pool_size,
                    statement_cache_size=settings.database_statement_cache_size,
                    global_fallback=True,
                )
            )
            # Whatever Redis holds may be behind the database: an in-process stand-in starts
            # empty, a worker killed mid-redeem never gave its units back.
            await guard.repair(wait=True)
        yield Runtime(
            settings=settings,
            rules=ledger_rules(settings),
            redis=redis,
            broker=broker,
            guard=guard,
            gate=gate,
            engagement=engagement_rules(settings),
            leaderboards=boards,
            rate_limiter=RateLimiter(redis, guard, settings.rate_limits),
            tokens=TokenVerifier(settings),
            responses=responses,
        )


async def announce(
    broker: Broker,
    gate: FlashGate,
    boards: Leaderboards,
    responses: ResponseCache | None,
    event: events.Event,
) -> None:
    """After a commit: tell the user's live connections; keep Redis's gates, boards and the
    versions of cached answers."""
    if responses is not None:
        match event:
            case events.AccountChanged(account_id=account_id):
                await responses.account_changed(account_id)
            case (
                events.StockAdded()
                | events.StockTaken()
                | events.CatalogueChanged()
                | events.AudienceChanged()
                | events.CampaignChanged()
            ):
                await responses.catalogue_changed()
    match event:
        case events.PointsIssued(account_id=account_id, amount=amount, at=at):
            await boards.add(account_id, amount, at)
        case events.AccountStanding(account_id=account_id, frozen=True):
            await boards.remove(account_id, clock.now())
        case events.AccountStanding(account_id=account_id, frozen=False):
            await boards.rescore(clock.now(), [account_id])
        case events.AccountChanged(account_id=account_id):
            await broker.publish(account_channel(account_id), messages.encode(PointsMoved()))
        case events.NotificationCreated(account_id=account_id):
            stored = NotificationStored(
                event.notification_id, event.previous_id, event.notice, event.created_at
            )
            await broker.publish(account_channel(account_id), messages.encode(stored))
        case events.ReviewQueued(kind=kind, id=queued):
            await broker.publish(REVIEWS_CHANNEL, messages.encode(Queued(kind, queued)))
        case events.StockAdded(item_id=item_id, quantity=quantity):
            await gate.add_stock(item_id, quantity)
        case events.CatalogueChanged(item_id=item_id, created=True):
            await gate.prime(await Item.get(id=item_id))
        case events.QuotaReturned(
            item_id=item_id, account_id=account_id, period=period, quantity=quantity
        ):
            item = await Item.get(id=item_id)
            if quota_is_zone_free(item):
                account = await Account.get(id=account_id)
                await gate.release_quota(item_id, period, account.user_id, quantity)
