"""createTask, updateTask, archiveTask, tasks (admin); claimTaskReward (user)."""

from __future__ import annotations

from typing import Any

import strawberry

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain.engagement import task_progress, task_views, tasks
from pointsmall.domain.engagement.task_views import ops_view
from pointsmall.domain.engagement.tasks import TaskFields, Tier
from pointsmall.domain.errors import InvalidValue
from pointsmall.models import Task as TaskModel
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.context import Info
from pointsmall.schema.engagement.tasks import (
    ArchiveTaskInput,
    ArchiveTaskPayload,
    ClaimTaskRewardInput,
    ClaimTaskRewardPayload,
    CreateTaskInput,
    CreateTaskPayload,
    Task,
    TaskTierInput,
    UpdateTaskInput,
    UpdateTaskPayload,
)
from pointsmall.schema.node import id_of, optional_id_of

CHANGEABLE = ("title", "description", "target_count", "reward_points", "starts_at", "ends_at",
              "min_order_amount", "auto_claim")  # fmt: skip


def _task_id(value: strawberry.ID) -> int:
    return id_of(value, "taskId", "Task")


def _tiers(tiers: list[TaskTierInput] | None) -> list[Tier] | None:
    return [Tier(tier.target, tier.reward) for tier in tiers] if tiers is not None else None


def for_ops(task: TaskModel) -> Task:
    return Task.from_view(ops_view(task))


async def create_task(info: Info, input: CreateTaskInput) -> CreateTaskPayload:
    access.require(info, Role.ADMIN)

    async def work() -> CreateTaskPayload:
        task = await tasks.create_task(
            TaskFields(
                title=input.title,
                event=input.event,
                window=input.window,
                description=input.description,
                custom_event=input.custom_event,
                target_count=input.target_count,
                reward_points=input.reward_points,
                tiers=_tiers(input.tiers),
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                consecutive_days=input.consecutive_days,
                min_order_amount=input.min_order_amount,
                auto_claim=input.auto_claim,
                audience_id=optional_id_of(input.audience_id, "audienceId", "Audience"),
            )
        )
        return CreateTaskPayload(task=for_ops(task))

    return await mutate(info, CreateTaskPayload, work)


async def update_task(info: Info, input: UpdateTaskInput) -> UpdateTaskPayload:
    access.require(info, Role.ADMIN)

    async def work() -> UpdateTaskPayload:
        changes: dict[str, Any] = {
            name: getattr(input, name)
            for name in CHANGEABLE
            if getattr(input, name) is not strawberry.UNSET
        }
        if input.tiers is not strawberry.UNSET:
            changes["tiers"] = _tiers(input.tiers)
        if input.audience_id is not strawberry.UNSET:
            changes["audience_id"] = optional_id_of(input.audience_id, "audienceId", "Audience")
        for required in ("title", "auto_claim"):
            if required in changes and changes[required] is None:
                raise InvalidValue(f"{required} cannot be null", field=required)
        task = await tasks.update_task(_task_id(input.task_id), changes)
        return UpdateTaskPayload(task=for_ops(task))

    return await mutate(info, UpdateTaskPayload, work)


async def archive_task(info: Info, input: ArchiveTaskInput) -> ArchiveTaskPayload:
    access.require(info, Role.ADMIN)

    async def work() -> ArchiveTaskPayload:
        return ArchiveTaskPayload(task=for_ops(await tasks.archive_task(_task_id(input.task_id))))

    return await mutate(info, ArchiveTaskPayload, work)


async def all_tasks(info: Info) -> list[Task]:
    """Every task, archived ones too, as ops see them (admin)."""
    access.require(info, Role.ADMIN)
    return [for_ops(task) for task in await TaskModel.all().order_by("id")]


async def claim_task_reward(info: Info, input: ClaimTaskRewardInput) -> ClaimTaskRewardPayload:
    account = await access.viewer_account(info)
    rules = info.context.runtime.rules

    async def work() -> ClaimTaskRewardPayload:
        task_id = _task_id(input.task_id)
        reward = await task_progress.claim(
            account.id, task_id, input.idempotency_key, info.context.actor(Role.USER), rules
        )
        views = {view.task.id: view for view in await task_views.tasks_for(account, rules)}
        seen = views.get(task_id)
        return ClaimTaskRewardPayload(reward=reward, task=Task.from_view(seen) if seen else None)

    return await mutate(info, ClaimTaskRewardPayload, work)
