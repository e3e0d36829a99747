"""Inputs and payloads of the engagement mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from pointsmall.models import ShareTarget, TaskEvent, TaskWindow
from pointsmall.schema.engagement import CheckIn, EarningRate, Order, OrderRefund, Share, Task
from pointsmall.schema.errors import UserError


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
class TaskTierInput:
    target: int
    reward: int


@strawberry.input(description="A task. Give targetCount and rewardPoints, or tiers.")
class CreateTaskInput:
    title: str
    event: TaskEvent
    window: TaskWindow
    description: str = ""
    custom_event: str | None = None
    target_count: int | None = None
    reward_points: int | None = None
    tiers: list[TaskTierInput] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    consecutive_days: bool = strawberry.field(
        default=False, description="Count days in a row with the event, not events."
    )
    min_order_amount: int | None = None
    auto_claim: bool = True
    audience_tags: list[str] | None = None


@strawberry.input(description="Change a task: fields left out stay as they are.")
class UpdateTaskInput:
    task_id: strawberry.ID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    target_count: int | None = strawberry.UNSET
    reward_points: int | None = strawberry.UNSET
    tiers: list[TaskTierInput] | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.UNSET
    ends_at: datetime | None = strawberry.UNSET
    min_order_amount: int | None = strawberry.UNSET
    auto_claim: bool | None = strawberry.UNSET
    audience_tags: list[str] | None = strawberry.UNSET


@strawberry.input
class ArchiveTaskInput:
    task_id: strawberry.ID


@strawberry.input
class SetEarningRateInput:
    category: str
    rate_percent: float = strawberry.field(description="E.g. 5 for 5%; two decimals at most.")


@strawberry.input
class CheckInInput:
    idempotency_key: str


@strawberry.input
class ClaimTaskRewardInput:
    task_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class ShareInput:
    target: ShareTarget
    target_id: str | None = strawberry.field(
        default=None, description="An Item or Redemption ID; none for ACHIEVEMENT and INVITE."
    )
    idempotency_key: str


@strawberry.input
class OpenShareInput:
    token: str


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
class CreateTaskPayload:
    task: Task | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateTaskPayload:
    task: Task | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ArchiveTaskPayload:
    task: Task | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetEarningRatePayload:
    rate: EarningRate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CheckInPayload:
    check_in: CheckIn | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ClaimTaskRewardPayload:
    task: Task | None = None
    reward: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SharePayload:
    share: Share | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OpenSharePayload:
    rewarded: bool = strawberry.field(default=False, description="Whether the sharer earned.")
    errors: list[UserError] = strawberry.field(default_factory=list)
