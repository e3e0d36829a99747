"""Points from the shop's paid orders, and taking them back when orders are refunded.

Points per line: `floor(amount x rate x points_per_unit / 100)` with the amount in minor
units (cents) and the rate of the line's category (default rate otherwise). A NEW user's
first order (one the shop told us of a registration for, see `lifecycle`) earns
`first_order_multiplier` times that, and the user's member tier its earning percent: the
two multiply, `floor(points x first x percent / 100)` per line (a Gold NEW user's first
order: x2 x1.25 = x2.5). The order's total is capped (`order_points_cap`); a capped
order's lines are scaled down so refunds stay exact. A live campaign's multiplier adds to
that, as far as its budget goes (`campaigns.effects`). The points are pending for the
return window (`available_at = paid_at + return window`).

An order is recorded once: replaying its id changes nothing and returns the same order.
A refund (once per refund id) takes back the points of the refunded part of each line:
from the order's own points first, then other pending points, then spendable ones, and
what is spent already is owed. It also takes the order off the tasks it no longer
qualifies for, with the rewards they paid for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from tortoise.exceptions import IntegrityError

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.audience import lifecycle
from pointsmall.domain.campaigns import effects
from pointsmall.domain.engagement import task_progress
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.ledger import corrections, entries
from pointsmall.domain.ledger.accounts import lock_account, open_account
from pointsmall.domain.ledger.accounts import user_id as checked_user_id
from pointsmall.domain.ledger.entries import LedgerRequest, fingerprint
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.replay import first_wins, same_request
from pointsmall.domain.risk import checks as risk_checks
from pointsmall.models import (
    Account,
    Allocation,
    EarningRate,
    Order,
    OrderRefund,
    Segment,
    TaskEvent,
)
from pointsmall.models.engagement import OrderLineData, RefundLineData

MAX_LINES = 200
MAX_LINE_AMOUNT = 10_000_000_000  # minor units
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class OrderLine:
    sku: str
    category: str
    amount: int  # minor units
    currency: str


@dataclass(frozen=True)
class RefundLine:
    sku: str
    amount: int


def _external_id(value: str, field: str) -> str:
    checked = validation.text(value, field, 64, required=True)
    assert checked is not None
    return checked


class PaidLine(TypedDict):
    """A line as the shop sent it, checked (and, as such, part of the order's fingerprint)."""

    sku: str
    category: str
    amount: int


def _lines(lines: list[OrderLine], rules: EngagementRules) -> list[PaidLine]:
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidValue(f"an order has 1 to {MAX_LINES} lines", field="lines")
    checked: list[PaidLine] = []
    for line in lines:
        sku = _external_id(line.sku, "lines")
        category = line.category.strip().lower()
        if not validation.SLUG.match(category):
            raise InvalidValue("a line's category is a slug such as home-appliances", field="lines")
        validation.whole_number(line.amount, "lines", 1, MAX_LINE_AMOUNT)
        if line.currency != rules.currency:
            raise InvalidValue(f"orders are in {rules.currency}", field="lines")
        if any(other["sku"] == sku for other in checked):
            raise InvalidValue(f"sku {sku} appears twice: give one line per sku", field="lines")
        checked.append({"sku": sku, "category": category, "amount": line.amount})
    return checked


async def rates_for(categories: set[str], rules: EngagementRules) -> dict[str, int]:
    """Basis points per category (configured, else the default rate)."""
    rows = await EarningRate.filter(category__in=list(categories))
    configured = {row.category: row.rate_basis_points for row in rows}
    return {
        category: configured.get(category, rules.default_rate_basis_points)
        for category in categories
    }


def line_points(amount: int, rate_basis_points: int, rules: EngagementRules) -> int:
    """floor(amount/100 units x rate% x points per unit), in integers only."""
    return amount * rate_basis_points * rules.points_per_currency_unit // (10_000 * 100)


def _capped(points: list[int], cap: int) -> list[int]:
    """Scale lines down to the cap, rounding down, then hand out the remainder in order."""
    total = sum(points)
    if total <= cap:
        return points
    scaled = [value * cap // total for value in points]
    short = cap - sum(scaled)
    for index in range(len(scaled)):
        if short == 0:
            break
        if scaled[index] < points[index]:
            scaled[index] += 1
            short -= 1
    return scaled


@dataclass(frozen=True)
class Earning:
    """What an order's lines earn, and why."""

    points: list[int]  # per line, all told
    first_order_bonus: bool
    tier_percent: int
    campaign_points: int  # of those, what live campaigns add


async def earning_of(
    account: Account,
    checked: list[PaidLine],
    paid: datetime,
    now: datetime,
    ledger_rules: LedgerRules,
    rules: EngagementRules,
    *,
    preview: bool = False,
) -> Earning:
    """The points of an order's lines for this user now. Recording (`preview` False) charges
    the campaigns' budgets; a preview only reads them.

    The first-order multiplier is for a NEW user's first order: registered (as the shop
    told us: an account merely opened by the order is no sign-up) within the NEW days
    when it was paid."""
    first = (
        account.registered_at is not None
        and not await Order.filter(account_id=account.id).exists()
        and lifecycle.segment_of(
            account.registered_at, lifecycle.NO_PURCHASES, paid, rules.lifecycle
        )
        == Segment.NEW
    )
    rates = await rates_for({line["category"] for line in checked}, rules)
    multiplier = rules.first_order_multiplier if first else 1
    tier = ledger_rules.tiers.at(account.tier_level)  # the tier before this order
    base = _capped(
        [
            line_points(line["amount"], rates[line["category"]], rules)
            * multiplier
            * tier.earn_percent
            // 100
            for line in checked
        ],
        rules.order_points_cap,
    )
    # Live campaigns' multipliers on top, charged to their budgets.
    extras = await effects.order_extras(
        account,
        [(line["category"], value) for line, value in zip(checked, base, strict=True)],
        now,
        ledger_rules,
        preview=preview,
    )
    points = [value + extra for value, extra in zip(base, extras, strict=True)]
    return Earning(points, first, tier.earn_percent, sum(extras))


async def preview_order(
    shop_user_id: str, lines: list[OrderLine], ledger_rules: LedgerRules, rules: EngagementRules
) -> Earning:
    """What an order of these lines would earn the user now (nothing is recorded)."""
    account = await open_account(checked_user_id(shop_user_id))
    now = clock.now()
    return await earning_of(
        account, _lines(lines, rules), now, now, ledger_rules, rules, preview=True
    )


async def record_order(
    order_id: str,
    shop_user_id: str,
    paid_at: datetime | None,
    lines: list[OrderLine],
    actor: Actor,
    ledger_rules: LedgerRules,
    rules: EngagementRules,
    *,
    device: str | None = None,
) -> Order:
    """Award an order's points (pending for the return window). Idempotent by order id.

    Without `paid_at` the order was paid as the shop tells us (now); a retry without it
    is the same request. `device`: the keyed hash of the app device the order was placed
    from, when the shop tells it (the risk rules watch first orders by device)."""
    order_id = _external_id(order_id, "orderId")
    shop_user_id = checked_user_id(shop_user_id)
    given = validation.moment(paid_at, "paidAt")
    now = clock.now()
    paid = given or now
    if paid > now + CLOCK_SKEW:
        raise InvalidValue("paidAt is in the future", field="paidAt")
    checked = _lines(lines, rules)
    request_fingerprint = fingerprint("order", user=shop_user_id, paid=given, lines=checked)
    earlier = await _earlier_order(order_id, request_fingerprint)
    if earlier is not None:
        return earlier
    account = await open_account(shop_user_id)

    async def record() -> Order:
        async with events.atomic():
            locked = await lock_account(account.id)  # one user's orders in turn: one first
            first = not await Order.exists(account_id=account.id)
            earning = await earning_of(locked, checked, paid, now, ledger_rules, rules)
            bonus, points = earning.first_order_bonus, earning.points
            earned = [
                OrderLineData(**line, points=value, refunded_amount=0, refunded_points=0)
                for line, value in zip(checked, points, strict=True)
            ]
            order = await Order.create(
                order_id=order_id,
                account_id=account.id,
                paid_at=paid,
                currency=rules.currency,
                amount=sum(line["amount"] for line in checked),
                points=sum(points),
                first_order_bonus=bonus,
                lines=earned,
                request_fingerprint=request_fingerprint,
                created_at=now,
            )
            if order.points > 0:
                entry = await entries.earn(
                    account.id,
                    order.points,
                    LedgerRequest(
                        actor,
                        f"order:{order_id}",
                        f"order {order_id} paid",
                        reference=f"order:{order_id}",
                    ),
                    ledger_rules,
                    available_at=paid + rules.return_window,
                )
                order.entry_id = entry.id
                await Order.filter(id=order.id).update(entry_id=entry.id)
            if first:
                await risk_checks.after_first_order(account.id, device, now)
            await lifecycle.restate_segment(locked, now, rules.lifecycle)
            await effects.after_order(locked, order, now, ledger_rules)
            await task_progress.record_progress(
                account.id,
                TaskEvent.ORDER_PAID,
                paid,
                ledger_rules,
                source=order_source(order),
                amount=order.amount,
            )
            return order

    # The same order recorded concurrently: the first one stands.
    return await first_wins(record, lambda: _earlier_order(order_id, request_fingerprint))


async def pending_until(orders: Sequence[Order]) -> dict[int, datetime]:
    """When each order's points count: the day its lot says (not today's return window,
    which ops may have changed since); for an order that earned nothing, its payment."""
    entry_ids = [order.entry_id for order in orders if order.entry_id is not None]
    rows = await Allocation.filter(entry_id__in=entry_ids, amount__gt=0).values_list(
        "entry_id", "lot__available_at"
    )
    matures = {entry_id: moment for entry_id, moment in rows}
    return {
        order.id: matures.get(order.entry_id, order.paid_at) if order.entry_id else order.paid_at
        for order in orders
    }


def order_source(order: Order) -> str:
    """What an order counted towards ORDER_PAID tasks is credited to."""
    return f"order:{order.id}"


async def _earlier_order(order_id: str, request_fingerprint: str) -> Order | None:
    return same_request(
        await Order.get_or_none(order_id=order_id),
        request_fingerprint,
        "this order id was already recorded with other details",
        field="orderId",
    )


async def refund_order(
    order_id: str,
    refund_id: str,
    lines: list[RefundLine],
    actor: Actor,
    rules: EngagementRules,
) -> OrderRefund:
    """Take back the points of refunded lines. Idempotent by refund id."""
    order_id = _external_id(order_id, "orderId")
    refund_id = _external_id(refund_id, "refundId")
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidValue(f"a refund has 1 to {MAX_LINES} lines", field="lines")
    wanted = [
        RefundLineData(
            sku=_external_id(line.sku, "lines"),
            amount=validation.whole_number(line.amount, "lines", 1, MAX_LINE_AMOUNT),
        )
        for line in lines
    ]
    request_fingerprint = fingerprint("refund", order=order_id, lines=wanted)
    earlier = await _earlier_refund(refund_id, request_fingerprint)
    if earlier is not None:
        return earlier
    placed = await Order.get_or_none(order_id=order_id)
    if placed is None:
        raise NotFound(f"no order {order_id}", field="orderId")

    async def refund() -> OrderRefund:
        async with events.atomic():
            locked = await lock_account(placed.account_id)  # refunds of one order in turn
            replayed = await _earlier_refund(refund_id, request_fingerprint)
            if replayed is not None:  # the same refund, concurrently: it went first
                return replayed
            order = await Order.get(id=placed.id)
            order_lines = {line["sku"]: line for line in order.lines}
            points = 0
            for line in wanted:
                original = order_lines.get(line["sku"])
                if original is None:
                    raise InvalidValue(
                        f"sku {line['sku']} is not in order {order_id}", field="lines"
                    )
                left = original["amount"] - original["refunded_amount"]
                if line["amount"] > left:
                    raise InvalidValue(
                        f"only {left} of sku {line['sku']} is left to refund", field="lines"
                    )
                original["refunded_amount"] += line["amount"]
                if original["refunded_amount"] == original["amount"]:
                    back = original["points"] - original["refunded_points"]  # no rounding left
                else:
                    back = original["points"] * line["amount"] // original["amount"]
                original["refunded_points"] += back
                points += back
            await Order.filter(id=order.id).update(
                lines=list(order_lines.values()),
                refunded_amount=sum(line["refunded_amount"] for line in order_lines.values()),
            )
            taken = owed = 0
            if points > 0:
                lot = await Allocation.filter(entry_id=order.entry_id).first()
                entry = await corrections.clawback(
                    order.account_id,
                    points,
                    LedgerRequest(
                        actor,
                        f"refund:{refund_id}",
                        f"order {order_id} refunded",
                        reference=f"order:{order_id}",
                    ),
                    first_from_lot=lot.lot_id if lot else None,
                )
                taken, owed = -entry.amount, entry.debt_change
            kept = sum(line["amount"] - line["refunded_amount"] for line in order_lines.values())
            # The order stops counting towards tasks it no longer qualifies for, and what
            # they paid for it comes back (owed, if spent).
            await task_progress.withdraw_progress(
                order.account_id,
                order_source(order),
                actor,
                still_counts=lambda task: kept >= (task.min_order_amount or 1),
            )
            # A wholly refunded order is no paid order: the segment may move back.
            await lifecycle.restate_segment(locked, clock.now(), rules.lifecycle)
            return await OrderRefund.create(
                refund_id=refund_id,
                order_id=order.id,
                lines=wanted,
                points=points,
                taken=taken,
                owed=owed,
                request_fingerprint=request_fingerprint,
                created_at=clock.now(),
            )

    return await first_wins(refund, lambda: _earlier_refund(refund_id, request_fingerprint))


async def _earlier_refund(refund_id: str, request_fingerprint: str) -> OrderRefund | None:
    return same_request(
        await OrderRefund.get_or_none(refund_id=refund_id),
        request_fingerprint,
        "this refund id was already used with other lines",
        field="refundId",
    )


async def set_earning_rate(category: str, rate_percent: float) -> EarningRate:
    """Ops set a category's earning rate, in percent with up to two decimals."""
    category = category.strip().lower()
    if not validation.SLUG.match(category):
        raise InvalidValue("category is a slug such as home-appliances", field="category")
    if not 0 <= rate_percent <= 100:  # checked first: round() of a huge float overflows
        raise InvalidValue(
            "ratePercent is from 0 to 100, with at most two decimals", field="ratePercent"
        )
    basis_points = round(rate_percent * 100)
    if abs(basis_points - rate_percent * 100) > 1e-6:
        raise InvalidValue(
            "ratePercent is from 0 to 100, with at most two decimals", field="ratePercent"
        )
    now = clock.now()
    changed = await EarningRate.filter(category=category).update(
        rate_basis_points=basis_points, updated_at=now
    )
    if not changed:
        try:
            async with events.atomic():
                await EarningRate.create(
                    category=category, rate_basis_points=basis_points, updated_at=now
                )
        except IntegrityError:  # created concurrently: this later call wins
            await EarningRate.filter(category=category).update(
                rate_basis_points=basis_points, updated_at=now
            )
    return await EarningRate.get(category=category)
