"""Tasks with the caller's progress, as users and ops see them; the task mutations' inputs
and payloads."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from pointsmall.domain.engagement.task_views import TaskView
from pointsmall.models import TaskEvent, TaskWindow
from pointsmall.schema.errors import UserError
from pointsmall.schema.node import global_id

strawberry.enum(TaskEvent, description="What a task counts.")
strawberry.enum(TaskWindow, description="The period a task's progress counts in.")


@strawberry.enum(description="Where the user is with a task.")
class TaskStatus(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"  # a reward is waiting to be claimed
    CLAIMED = "CLAIMED"
    EXPIRED = "EXPIRED"


@strawberry.type
class TaskTier:
    target: int
    reward: int
    reached: bool


@strawberry.type
class TaskProgress:
    current: int
    target: int
    percent: int


@strawberry.type(description="A task with the caller's progress on it.")
class Task(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    event: TaskEvent
    custom_event: str | None
    window: TaskWindow
    consecutive_days: bool
    min_order_amount: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    auto_claim: bool
    audience_id: strawberry.ID | None = strawberry.field(
        description="The audience the task is kept for (null: everyone)."
    )
    reward: int = strawberry.field(
        description="Points of the next tier (or the last one).",
        deprecation_reason="Ambiguous once a tier is reached: use claimable or nextReward.",
    )
    claimable: int = strawberry.field(
        description="Points of tiers reached and not claimed yet: what claiming pays now."
    )
    next_reward: int | None = strawberry.field(
        description="Points of the next tier still to reach; null once every tier is reached."
    )
    status: TaskStatus
    hint: str = strawberry.field(description='E.g. "Place 1 more order to unlock 100 points".')
    progress: TaskProgress
    tiers: list[TaskTier]

    @classmethod
    def from_view(cls, view: TaskView) -> Self:
        task = view.task
        return cls(
            id=task.id,
            title=task.title,
            description=task.description,
            event=task.event,
            custom_event=task.custom_event,
            window=task.window,
            consecutive_days=task.consecutive_days,
            min_order_amount=task.min_order_amount,
            starts_at=task.starts_at,
            ends_at=task.ends_at,
            auto_claim=task.auto_claim,
            audience_id=global_id("Audience", task.audience_id),
            reward=view.shown_reward,
            claimable=view.claimable,
            next_reward=view.next_tier.reward if view.next_tier else None,
            status=TaskStatus(view.status),
            hint=view.hint,
            progress=TaskProgress(
                current=view.shown_progress, target=view.target, percent=view.percent
            ),
            tiers=[
                TaskTier(target=tier.target, reward=tier.reward, reached=tier.reached)
                for tier in view.tiers
            ],
        )


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
    audience_id: strawberry.ID | None = strawberry.field(
        default=None, description="Keep the task for an audience's members."
    )


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
    audience_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="null: for everyone."
    )


@strawberry.input
class ArchiveTaskInput:
    task_id: strawberry.ID


@strawberry.input
class ClaimTaskRewardInput:
    task_id: strawberry.ID
    idempotency_key: str


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
class ClaimTaskRewardPayload:
    task: Task | None = None
    reward: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)
