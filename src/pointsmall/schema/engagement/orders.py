"""Orders, refunds, events and earning rates as the shop and ops see them; their inputs and
payloads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

import strawberry
from strawberry.scalars import JSON

from pointsmall.schema.errors import UserError

if TYPE_CHECKING:
    from pointsmall.models import EarningRate as EarningRateModel
    from pointsmall.models import Order as OrderModel
    from pointsmall.models import OrderRefund as OrderRefundModel


@strawberry.type
class OrderLine:
    sku: str
    category: str
    amount: int = strawberry.field(description="Minor units, e.g. cents.")
    points: int
    refunded_amount: int


@strawberry.type(description="A paid order and the points it earned.")
class Order:
    order_id: str
    points: int
    first_order_bonus: bool
    pending_until: datetime = strawberry.field(
        description="The points count once the return window has passed."
    )
    lines: list[OrderLine]

    @classmethod
    def from_model(cls, order: OrderModel, pending_until: datetime) -> Self:
        return cls(
            order_id=order.order_id,
            points=order.points,
            first_order_bonus=order.first_order_bonus,
            pending_until=pending_until,
            lines=[
                OrderLine(
                    sku=line["sku"],
                    category=line["category"],
                    amount=line["amount"],
                    points=line["points"],
                    refunded_amount=line["refunded_amount"],
                )
                for line in order.lines
            ],
        )


@strawberry.type(description="A refund's effect on points.")
class OrderRefund:
    refund_id: str
    points: int = strawberry.field(description="Points the refunded lines had earned.")
    taken: int = strawberry.field(description="Taken back from the user's points.")
    owed: int = strawberry.field(description="Already spent: paid off by later earnings.")

    @classmethod
    def from_model(cls, refund: OrderRefundModel) -> Self:
        return cls(
            refund_id=refund.refund_id, points=refund.points, taken=refund.taken, owed=refund.owed
        )


@strawberry.type
class EarningRate:
    category: str
    rate_percent: float

    @classmethod
    def from_model(cls, rate: EarningRateModel) -> Self:
        return cls(category=rate.category, rate_percent=rate.rate_basis_points / 100)


@strawberry.input
class OrderLineInput:
    sku: str
    category: str
    amount: int = strawberry.field(description="Minor units, e.g. cents.")
    currency: str


@strawberry.input(description="A paid order (the shop's back end). Idempotent by orderId.")
class RecordOrderInput:
    order_id: str
    user_id: str
    paid_at: datetime | None = strawberry.field(
        default=None, description="When it was paid; by default, when the shop tells us."
    )
    lines: list[OrderLineInput]
    device_id: str | None = strawberry.field(
        default=None,
        description="The app's device id the order was placed from (its X-Device-Id), when "
        "the shop knows it: kept only as a keyed hash, for the risk rules.",
    )


@strawberry.input
class RefundLineInput:
    sku: str
    amount: int = strawberry.field(description="The refunded part of the line, minor units.")


@strawberry.input(description="A refund of some order lines. Idempotent by refundId.")
class RefundOrderInput:
    order_id: str
    refund_id: str
    lines: list[RefundLineInput]


@strawberry.input(description="A behaviour event. Idempotent by eventId.")
class RecordEventInput:
    event_id: str
    user_id: str
    type: str = strawberry.field(description="REVIEW, SHARE, APP_OPEN or a custom NAME.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened; by default, when the shop tells us."
    )
    attributes: JSON | None = None


@strawberry.input
class SetEarningRateInput:
    category: str
    rate_percent: float = strawberry.field(description="E.g. 5 for 5%; two decimals at most.")


@strawberry.type
class RecordOrderPayload:
    order: Order | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RefundOrderPayload:
    refund: OrderRefund | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecordEventPayload:
    recorded: bool = strawberry.field(default=False, description="False for a replayed id.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetEarningRatePayload:
    rate: EarningRate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="What an order would earn the caller now: nothing is recorded.")
class OrderPointsPreview:
    points: int = strawberry.field(description="All told: the programme's and campaigns'.")
    line_points: list[int] = strawberry.field(description="Per line, in the order given.")
    first_order_bonus: bool = strawberry.field(description="The first-order multiplier applies.")
    tier_percent: int = strawberry.field(description="The member tier's earning percent.")
    campaign_points: int = strawberry.field(
        description="Of the points, what live campaigns add (as far as their budgets go)."
    )
