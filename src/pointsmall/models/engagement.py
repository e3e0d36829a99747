"""Engagement: orders and refunds, app events, earning rates, tasks, check-ins, shares."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, TypedDict

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from pointsmall.models.audience import Audience
    from pointsmall.models.ledger import Account, Entry


class OrderLineData(TypedDict):
    """One line of an order, with the points it earned and what was refunded of it."""

    sku: str
    category: str
    amount: int  # minor units
    points: int
    refunded_amount: int
    refunded_points: int


class RefundLineData(TypedDict):
    sku: str
    amount: int


class TierData(TypedDict):
    target: int
    reward: int


JSONValue = str | int | float | bool | None | list["JSONValue"] | dict[str, "JSONValue"]


class TaskEvent(enum.StrEnum):
    ORDER_PAID = "ORDER_PAID"
    CHECK_IN = "CHECK_IN"
    SHARE = "SHARE"
    REVIEW = "REVIEW"
    REDEEM = "REDEEM"
    CUSTOM = "CUSTOM"


class TaskWindow(enum.StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    ONCE = "ONCE"
    DATE_RANGE = "DATE_RANGE"


class TaskState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class ShareTarget(enum.StrEnum):
    ITEM = "ITEM"
    REDEMPTION = "REDEMPTION"
    ACHIEVEMENT = "ACHIEVEMENT"
    INVITE = "INVITE"


class EarningRate(Model):
    """Points per order line of a category, in basis points of the amount (500 = 5%)."""

    id = fields.BigIntField(primary_key=True)
    category = fields.CharField(max_length=64, unique=True)
    rate_basis_points = fields.IntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "engagement_earning_rate"


class Order(Model):
    """A paid order of the shop, once: replaying its id changes nothing."""

    id = fields.BigIntField(primary_key=True)
    order_id = fields.CharField(max_length=64, unique=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="orders", on_delete=fields.RESTRICT
    )
    account_id: int
    paid_at = fields.DatetimeField()
    currency = fields.CharField(max_length=3)
    amount = fields.BigIntField()
    refunded_amount = fields.BigIntField(default=0, db_default=0)  # a paid order while below amount
    points = fields.BigIntField()
    first_order_bonus = fields.BooleanField(default=False)
    lines: fields.Field[list[OrderLineData]] = fields.JSONField()
    request_fingerprint = fields.CharField(max_length=64)
    entry: fields.ForeignKeyNullableRelation[Entry] = fields.ForeignKeyField(
        "pointsmall.Entry", related_name="orders", null=True, on_delete=fields.RESTRICT
    )
    entry_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "engagement_order"


class OrderRefund(Model):
    """A refund of some of an order's lines, once per refund id."""

    id = fields.BigIntField(primary_key=True)
    refund_id = fields.CharField(max_length=64, unique=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "pointsmall.Order", related_name="refunds", on_delete=fields.RESTRICT
    )
    order_id: int
    lines: fields.Field[list[RefundLineData]] = fields.JSONField()
    points = fields.BigIntField()
    taken = fields.BigIntField()
    owed = fields.BigIntField()
    request_fingerprint = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "engagement_order_refund"


class AppEvent(Model):
    """A behaviour event from the shop (review, share, app open, custom), once per id."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=64, unique=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="app_events", on_delete=fields.RESTRICT
    )
    account_id: int
    type = fields.CharField(max_length=32)
    occurred_at = fields.DatetimeField()
    attributes: fields.Field[dict[str, JSONValue]] = fields.JSONField(default=dict)
    request_fingerprint = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "engagement_app_event"


class Task(Model):
    """Something to do for points, with a progress bar. Tiers pay as they are reached."""

    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    event = fields.CharEnumField(TaskEvent, max_length=16)
    custom_event = fields.CharField(max_length=32, null=True)
    window = fields.CharEnumField(TaskWindow, max_length=16)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    consecutive_days = fields.BooleanField(default=False)
    min_order_amount = fields.BigIntField(null=True)
    tiers: fields.Field[list[TierData]] = fields.JSONField()  # by target, ascending
    auto_claim = fields.BooleanField(default=True)
    audience: fields.ForeignKeyNullableRelation[Audience] = fields.ForeignKeyField(
        "pointsmall.Audience", related_name="tasks", null=True, on_delete=fields.RESTRICT
    )
    audience_id: int | None  # only its members see it and make progress on it
    state = fields.CharEnumField(TaskState, max_length=16, default=TaskState.ACTIVE)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "engagement_task"


class TaskProgress(Model):
    """A user's progress on a task in one period (their local day, week... or the task's life)."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="task_progress", on_delete=fields.RESTRICT
    )
    account_id: int
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "pointsmall.Task", related_name="progress", on_delete=fields.RESTRICT
    )
    task_id: int
    period = fields.CharField(max_length=32)
    current = fields.IntField(default=0)
    last_day = fields.DateField(null=True)  # consecutive-day tasks: the last day counted
    tiers_paid = fields.IntField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "engagement_task_progress"
        unique_together = (("account", "task", "period"),)


class TaskCredit(Model):
    """One event counted towards a user's progress on a task, and what it came from
    (`order:<id>`, `redemption:<id>`, ...), so that a refund or a cancellation can take its
    count back: the progress is always the replay of its credits, in order."""

    id = fields.BigIntField(primary_key=True)
    progress: fields.ForeignKeyRelation[TaskProgress] = fields.ForeignKeyField(
        "pointsmall.TaskProgress", related_name="credits", on_delete=fields.RESTRICT
    )
    progress_id: int
    source = fields.CharField(max_length=96)
    local_day = fields.DateField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "engagement_task_credit"
        indexes = (("source",), ("progress_id", "id"))


class CheckIn(Model):
    """One check-in per user and local day: the database refuses a second."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="check_ins", on_delete=fields.RESTRICT
    )
    account_id: int
    local_date = fields.DateField()
    streak = fields.IntField()
    reward = fields.IntField()
    idempotency_key = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()

    class Meta:
        table = "engagement_check_in"
        unique_together = (("account", "local_date"), ("account", "idempotency_key"))


class Share(Model):
    """A user's share link for one target. The first share of a target may earn points."""

    id = fields.BigIntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="shares", on_delete=fields.RESTRICT
    )
    account_id: int
    target = fields.CharEnumField(ShareTarget, max_length=16)
    target_id = fields.CharField(max_length=64)
    reward = fields.IntField(default=0)
    local_date = fields.DateField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "engagement_share"
        unique_together = (("account", "target", "target_id"),)


class ShareOpen(Model):
    """Another user opened a share link: once per opener, which may earn the sharer a bonus."""

    id = fields.BigIntField(primary_key=True)
    share: fields.ForeignKeyRelation[Share] = fields.ForeignKeyField(
        "pointsmall.Share", related_name="opens", on_delete=fields.RESTRICT
    )
    share_id: int
    opener: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="share_opens", on_delete=fields.RESTRICT
    )
    opener_id: int
    reward = fields.IntField(default=0)
    sharer_local_date = fields.DateField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "engagement_share_open"
        unique_together = (("share", "opener"),)
