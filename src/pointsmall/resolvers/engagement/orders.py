"""recordOrder, refundOrder, recordEvent (service); setEarningRate, earningRates (admin)."""

from __future__ import annotations

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain.engagement import app_events, orders
from pointsmall.domain.engagement.orders import OrderLine, RefundLine
from pointsmall.domain.errors import DomainError, InvalidValue
from pointsmall.domain.risk.checks import keyed_hash
from pointsmall.models import EarningRate as EarningRateModel
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.context import Info
from pointsmall.schema.engagement.orders import (
    EarningRate,
    Order,
    OrderLineInput,
    OrderPointsPreview,
    OrderRefund,
    RecordEventInput,
    RecordEventPayload,
    RecordOrderInput,
    RecordOrderPayload,
    RefundOrderInput,
    RefundOrderPayload,
    SetEarningRateInput,
    SetEarningRatePayload,
)
from pointsmall.schema.errors import BadUserInput


async def record_order(info: Info, input: RecordOrderInput) -> RecordOrderPayload:
    access.require(info, Role.SERVICE)
    runtime = info.context.runtime

    async def work() -> RecordOrderPayload:
        order = await orders.record_order(
            input.order_id,
            input.user_id,
            input.paid_at,
            [
                OrderLine(line.sku, line.category, line.amount, line.currency)
                for line in input.lines
            ],
            info.context.actor(Role.SERVICE),
            runtime.rules,
            runtime.engagement,
            device=keyed_hash(input.device_id, runtime.rules.signal_key),
        )
        pending_until = await orders.pending_until([order])
        return RecordOrderPayload(order=Order.from_model(order, pending_until[order.id]))

    return await mutate(info, RecordOrderPayload, work)


async def order_points_preview(info: Info, lines: list[OrderLineInput]) -> OrderPointsPreview:
    """What an order of these lines would earn the caller now: the product page's "earn N
    points", with their tier, a first-order bonus and running campaigns' multipliers."""
    account = await access.viewer_account(info)
    runtime = info.context.runtime
    try:
        earning = await orders.preview_order(
            account.user_id,
            [OrderLine(line.sku, line.category, line.amount, line.currency) for line in lines],
            runtime.rules,
            runtime.engagement,
        )
    except DomainError as error:
        raise BadUserInput(error.message) from None
    return OrderPointsPreview(
        points=sum(earning.points),
        line_points=earning.points,
        first_order_bonus=earning.first_order_bonus,
        tier_percent=earning.tier_percent,
        campaign_points=earning.campaign_points,
    )


async def refund_order(info: Info, input: RefundOrderInput) -> RefundOrderPayload:
    access.require(info, Role.SERVICE)

    async def work() -> RefundOrderPayload:
        refund = await orders.refund_order(
            input.order_id,
            input.refund_id,
            [RefundLine(line.sku, line.amount) for line in input.lines],
            info.context.actor(Role.SERVICE),
            info.context.runtime.engagement,
        )
        return RefundOrderPayload(refund=OrderRefund.from_model(refund))

    return await mutate(info, RefundOrderPayload, work)


async def record_event(info: Info, input: RecordEventInput) -> RecordEventPayload:
    access.require(info, Role.SERVICE)

    async def work() -> RecordEventPayload:
        if input.attributes is not None and not isinstance(input.attributes, dict):
            raise InvalidValue("attributes is a JSON object", field="attributes")
        _, new = await app_events.record_event(
            input.event_id,
            input.user_id,
            input.type,
            input.occurred_at,
            input.attributes,
            info.context.runtime.rules,
        )
        return RecordEventPayload(recorded=new)

    return await mutate(info, RecordEventPayload, work)


async def set_earning_rate(info: Info, input: SetEarningRateInput) -> SetEarningRatePayload:
    access.require(info, Role.ADMIN)

    async def work() -> SetEarningRatePayload:
        rate = await orders.set_earning_rate(input.category, input.rate_percent)
        return SetEarningRatePayload(rate=EarningRate.from_model(rate))

    return await mutate(info, SetEarningRatePayload, work)


async def earning_rates(info: Info) -> list[EarningRate]:
    """The configured earning rates; other categories earn the default (admin)."""
    access.require(info, Role.ADMIN)
    rates = await EarningRateModel.all().order_by("category")
    return [EarningRate.from_model(rate) for rate in rates]
