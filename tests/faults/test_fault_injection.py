"""Random operations on a moving clock while any database statement or Redis call may fail,
in the spirit of TigerBeetle's simulator: the faults are drawn from a seed, so every failure
reproduces.

After each sequence: the audit is clean; stock equals the redemptions holding it; quotas
equal the redemptions counting in them; and every operation's answer is the truth: one that
reported success left its effect, one that failed left none (a refusal, or an injected
fault before the commit, rolls everything back).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from tortoise.connection import get_connection
from tortoise.exceptions import OperationalError

from pointsmall import clock as service_clock
from pointsmall.clock import MovableClock
from pointsmall.domain.engagement import checkins, orders
from pointsmall.domain.engagement.orders import OrderLine, RefundLine
from pointsmall.domain.errors import DomainError
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.domain.mall import redemption_lifecycle
from pointsmall.domain.mall.redemptions import RedeemRequest, ShippingAddress, redeem
from pointsmall.models import (
    Account,
    CheckIn,
    Entry,
    Item,
    Order,
    OrderRefund,
    QuotaUsage,
    Redemption,
    RedemptionStatus,
)
from pointsmall.runtime import Runtime
from pointsmall.schema.node import parse_global_id
from tests.api import Api
from tests.conftest import BACKEND, START
from tests.ledger.helpers import ADMIN, RULES, SERVICE, request
from tests.mall.helpers import create_item

USERS = ("ana", "bo", "cy")
ADDRESS = ShippingAddress("Ana", "1 Road", "Town", "12345", "CN")
STATEMENTS = ("execute_query", "execute_insert", "execute_many", "execute_query_dict")
HOLDING_STOCK = (
    RedemptionStatus.CONFIRMED,
    RedemptionStatus.PENDING_REVIEW,
    RedemptionStatus.AWAITING_PAYMENT,
)
SEEDS = range(16) if BACKEND == "embedded" else range(6)
STEPS = 30


class InjectedFault(OperationalError):
    """A statement that failed before it ran."""


@dataclass
class Faults:
    seed: int
    database_rate: float = 0.04
    redis_rate: float = 0.15
    on: bool = False
    injected: int = 0
    draw: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.draw = random.Random(self.seed)

    def database(self) -> None:
        if self.on and self.draw.random() < self.database_rate:
            self.injected += 1
            raise InjectedFault("injected: the statement did not run")

    def redis(self) -> None:
        if self.on and self.draw.random() < self.redis_rate:
            self.injected += 1
            raise RedisConnectionError("injected: Redis did not answer")


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch, runtime: Runtime) -> Faults:
    """Every statement the database clients run, and every Redis command, may fail."""
    injector = Faults(seed=0)
    connection = get_connection("default")
    client = type(connection)
    context = connection._in_transaction()
    # The transaction's own client (the attribute is named by the backend).
    wrapper = type(getattr(context, "client", None) or getattr(context, "connection", None))
    for cls in {*client.__mro__, *wrapper.__mro__}:
        for name in STATEMENTS:
            original = cls.__dict__.get(name)
            if original is not None:
                monkeypatch.setattr(cls, name, _failing(original, injector.database))
    command: Callable[..., Awaitable[Any]] = runtime.redis.execute_command

    async def failing_command(*args: Any, **options: Any) -> Any:
        injector.redis()
        return await command(*args, **options)

    monkeypatch.setattr(runtime.redis, "execute_command", failing_command)
    monkeypatch.setattr(runtime.guard, "_probe_every", 0.0)  # retry Redis at once
    return injector


def _failing(method: Callable[..., Awaitable[Any]], fail: Callable[[], None]) -> Any:
    @wraps(method)
    async def failing(*args: Any, **kwargs: Any) -> Any:
        fail()
        return await method(*args, **kwargs)

    return failing


@dataclass(frozen=True)
class Step:
    kind: str
    user: str
    key: str
    value: int


def steps_for(seed: int) -> list[Step]:
    draw = random.Random(1000 + seed)
    kinds = ["grant", "redeem", "redeem", "cancel", "order", "refund", "check_in", "expire"]
    kinds += ["advance"]
    return [
        Step(draw.choice(kinds), draw.choice(USERS), f"s{seed}-{number}", draw.randint(1, 400))
        for number in range(STEPS)
    ]


async def run(step: Step, runtime: Runtime, items: list[int], clock: MovableClock) -> bool:
    """Run the step; False when there was nothing to do (no order to refund...)."""
    account = await Account.get(user_id=step.user)
    if step.kind == "grant":
        await entries.earn(account.id, step.value, request(step.key), RULES)
    elif step.kind == "redeem":
        item_id = items[step.value % len(items)]
        actor = SERVICE
        await redeem(
            RedeemRequest(step.user, item_id, 1, step.key, actor, ADDRESS),
            runtime.gate,
            open_account=lambda: Account.get(id=account.id),
            rules=RULES,
        )
    elif step.kind == "cancel":
        open_ones = await Redemption.filter(status__in=HOLDING_STOCK).order_by("id")
        if not open_ones:
            return False
        chosen = open_ones[step.value % len(open_ones)]
        await redemption_lifecycle.cancel(
            chosen.id, f"cancel {step.key}", ADMIN, RULES, owner_account_id=None
        )
    elif step.kind == "order":
        lines = [OrderLine("tv", "electronics", step.value * 100, "USD")]
        await orders.record_order(
            step.key, step.user, clock.now(), lines, SERVICE, RULES, runtime.engagement
        )
    elif step.kind == "refund":
        placed = await Order.filter(account_id=account.id).order_by("id").first()
        if placed is None:
            return False
        await orders.refund_order(
            placed.order_id,
            step.key,
            [RefundLine("tv", 100 * (1 + step.value % 5))],
            SERVICE,
            runtime.engagement,
        )
    elif step.kind == "check_in":
        await checkins.check_in(account.id, step.key, SERVICE, RULES, runtime.engagement)
    elif step.kind == "expire":
        await expire_due_points(batch_size=2)
    else:
        clock.advance(timedelta(hours=step.value))
    return True


async def took_effect(step: Step) -> bool | None:
    """Whether the step's effect is in the database (None: a step without a single one)."""
    if step.kind == "grant":
        return await Entry.exists(idempotency_key=step.key)
    if step.kind == "redeem":
        return await Redemption.exists(idempotency_key=step.key)
    if step.kind == "order":
        return await Order.exists(order_id=step.key)
    if step.kind == "refund":
        return await OrderRefund.exists(refund_id=step.key)
    if step.kind == "check_in":
        return await CheckIn.exists(idempotency_key=step.key)
    if step.kind == "cancel":
        return await Redemption.exists(status_reason=f"cancel {step.key}")
    return None


async def check_the_books(items: list[int]) -> None:
    assert (await audit_ledger()).clean
    for item_id in items:
        item = await Item.get(id=item_id)
        holding = await Redemption.filter(item_id=item_id, status__in=HOLDING_STOCK).count()
        assert (item.stock_total or 0) - (item.stock_remaining or 0) == holding
        for usage in await QuotaUsage.filter(item_id=item_id):
            counted = await Redemption.filter(
                item_id=item_id,
                account_id=usage.account_id,
                quota_period=usage.period,
                status__in=HOLDING_STOCK,
            ).count()
            assert usage.used == counted


@pytest.mark.parametrize("seed", SEEDS)
async def test_faults_anywhere_never_break_the_books_nor_lie_to_a_caller(
    api: Api, runtime: Runtime, redis: Redis, faults: Faults, seed: int
) -> None:
    clock = MovableClock(START)
    previous = service_clock.use_clock(clock)
    try:
        items = []
        for number, quota in enumerate((None, 2, 1)):
            made = await create_item(
                api,
                kind="PHYSICAL",
                virtualRight=None,
                title=f"Item {number}",
                pricePoints=50 + 40 * number,
                stock=6,
                perUserQuota=quota,
            )
            items.append(parse_global_id(made["id"], "id")[1])
        for user in USERS:
            account = await Account.create(
                user_id=user, tags=[], created_at=clock.now(), updated_at=clock.now()
            )
            await entries.earn(account.id, 600, request(f"seed-{user}"), RULES)
        faults.seed = seed
        faults.__post_init__()
        for step in steps_for(seed):
            faults.on = True
            try:
                acted = await run(step, runtime, items, clock)
                failed = False
            except (DomainError, InjectedFault):
                acted, failed = True, True
            finally:
                faults.on = False
            effect = await took_effect(step)
            if acted and effect is not None:
                assert effect is not failed, (step, "succeeded" if not failed else "failed")
        await check_the_books(items)
        assert faults.injected > 0
    finally:
        service_clock.use_clock(previous)
