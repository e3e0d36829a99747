"""recordOrder, refundOrder, recordEvent (service); createTask, updateTask, archiveTask,
setEarningRate, tasks, earningRates (admin); checkIn, claimTaskReward, share, openShare
(user); leaderboard (anyone)."""

from __future__ import annotations

from typing import Any

import strawberry
from redis.exceptions import RedisError

from pointsmall import clock
from pointsmall.auth import Role
from pointsmall.domain.engagement import (
    app_events,
    checkins,
    orders,
    shares,
    task_progress,
    task_views,
    tasks,
)
from pointsmall.domain.engagement.leaderboards import Period
from pointsmall.domain.engagement.orders import OrderLine, RefundLine
from pointsmall.domain.engagement.tasks import TaskFields, Tier
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.wording import with_article
from pointsmall.models import EarningRate as EarningRateModel
from pointsmall.models import ShareTarget
from pointsmall.models import Task as TaskModel
from pointsmall.resolvers.access import mutate, optional_viewer, require, viewer_account
from pointsmall.resolvers.mall import visible_item_model
from pointsmall.resolvers.redemptions import redemption_for
from pointsmall.schema.context import Info
from pointsmall.schema.engagement import (
    CheckIn,
    EarningRate,
    Leaderboard,
    LeaderboardEntry,
    LeaderboardStanding,
    Order,
    OrderRefund,
    Share,
    Task,
)
from pointsmall.schema.engagement_mutations import (
    ArchiveTaskInput,
    ArchiveTaskPayload,
    CheckInInput,
    CheckInPayload,
    ClaimTaskRewardInput,
    ClaimTaskRewardPayload,
    CreateTaskInput,
    CreateTaskPayload,
    OpenShareInput,
    OpenSharePayload,
    RecordEventInput,
    RecordEventPayload,
    RecordOrderInput,
    RecordOrderPayload,
    RefundOrderInput,
    RefundOrderPayload,
    SetEarningRateInput,
    SetEarningRatePayload,
    ShareInput,
    SharePayload,
    UpdateTaskInput,
    UpdateTaskPayload,
)
from pointsmall.schema.errors import BadUserInput, Unavailable
from pointsmall.schema.node import parse_global_id

MAX_BOARD = 100


async def record_order(info: Info, input: RecordOrderInput) -> RecordOrderPayload:
    require(info, Role.SERVICE)
    runtime = info.context.runtime

    async def work() -> dict[str, Any]:
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
        )
        return {"order": Order.from_model(order, runtime.engagement)}

    return await mutate(RecordOrderPayload, work)


async def refund_order(info: Info, input: RefundOrderInput) -> RefundOrderPayload:
    require(info, Role.SERVICE)

    async def work() -> dict[str, Any]:
        refund = await orders.refund_order(
            input.order_id,
            input.refund_id,
            [RefundLine(line.sku, line.amount) for line in input.lines],
            info.context.actor(Role.SERVICE),
        )
        return {"refund": OrderRefund.from_model(refund)}

    return await mutate(RefundOrderPayload, work)


async def record_event(info: Info, input: RecordEventInput) -> RecordEventPayload:
    require(info, Role.SERVICE)

    async def work() -> dict[str, Any]:
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
        return {"recorded": new}

    return await mutate(RecordEventPayload, work)


def _task_id(value: strawberry.ID) -> int:
    return parse_global_id(str(value), "taskId", "Task")[1]


def _tiers(tiers: list[Any] | None) -> list[Tier] | None:
    return [Tier(tier.target, tier.reward) for tier in tiers] if tiers is not None else None


async def create_task(info: Info, input: CreateTaskInput) -> CreateTaskPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
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
                audience_tags=input.audience_tags,
            )
        )
        return {"task": Task.for_ops(task)}

    return await mutate(CreateTaskPayload, work)


async def update_task(info: Info, input: UpdateTaskInput) -> UpdateTaskPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in (
            "title",
            "description",
            "target_count",
            "reward_points",
            "starts_at",
            "ends_at",
            "min_order_amount",
            "auto_claim",
            "audience_tags",
        ):
            value = getattr(input, name)
            if value is not strawberry.UNSET:
                changes[name] = value
        if input.tiers is not strawberry.UNSET:
            changes["tiers"] = _tiers(input.tiers)
        for required in ("title", "auto_claim"):
            if required in changes and changes[required] is None:
                raise InvalidValue(f"{required} cannot be null", field=required)
        task = await tasks.update_task(_task_id(input.task_id), changes)
        return {"task": Task.for_ops(task)}

    return await mutate(UpdateTaskPayload, work)


async def archive_task(info: Info, input: ArchiveTaskInput) -> ArchiveTaskPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        return {"task": Task.for_ops(await tasks.archive_task(_task_id(input.task_id)))}

    return await mutate(ArchiveTaskPayload, work)


async def set_earning_rate(info: Info, input: SetEarningRateInput) -> SetEarningRatePayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        rate = await orders.set_earning_rate(input.category, input.rate_percent)
        return {"rate": EarningRate.from_model(rate)}

    return await mutate(SetEarningRatePayload, work)


async def all_tasks(info: Info) -> list[Task]:
    """Every task, archived ones too, as ops see them (admin)."""
    require(info, Role.ADMIN)
    return [Task.for_ops(task) for task in await TaskModel.all().order_by("id")]


async def earning_rates(info: Info) -> list[EarningRate]:
    """The configured earning rates; other categories earn the default (admin)."""
    require(info, Role.ADMIN)
    return [
        EarningRate.from_model(rate) for rate in await EarningRateModel.all().order_by("category")
    ]


async def check_in(info: Info, input: CheckInInput) -> CheckInPayload:
    account = await viewer_account(info)
    runtime = info.context.runtime

    async def work() -> dict[str, Any]:
        done = await checkins.check_in(
            account.id,
            input.idempotency_key,
            info.context.actor(Role.USER),
            runtime.rules,
            runtime.engagement,
        )
        return {"check_in": CheckIn(date=done.local_date, streak=done.streak, reward=done.reward)}

    return await mutate(CheckInPayload, work)


async def claim_task_reward(info: Info, input: ClaimTaskRewardInput) -> ClaimTaskRewardPayload:
    account = await viewer_account(info)
    rules = info.context.runtime.rules

    async def work() -> dict[str, Any]:
        task_id = _task_id(input.task_id)
        reward = await task_progress.claim(
            account.id, task_id, input.idempotency_key, info.context.actor(Role.USER), rules
        )
        views = {view.task.id: view for view in await task_views.tasks_for(account, rules)}
        return {
            "reward": reward,
            "task": Task.from_view(views[task_id]) if task_id in views else None,
        }

    return await mutate(ClaimTaskRewardPayload, work)


async def _share_target_id(info: Info, target: ShareTarget, target_id: str | None) -> str:
    """A target the user may share, as a stable id; anything else is simply not found."""
    if target in shares.OWN_TARGETS:
        if target_id not in (None, "", "me"):
            raise InvalidValue(
                f"{with_article(target.value)} share has no targetId", field="targetId"
            )
        return "me"
    if not target_id:
        raise InvalidValue(f"{with_article(target.value)} share needs a targetId", field="targetId")
    if target == ShareTarget.ITEM:
        _, item_id = parse_global_id(target_id, "targetId", "Item")
        if await visible_item_model(info, item_id) is None:
            raise NotFound("no such item", field="targetId")
        return f"Item:{item_id}"
    _, redemption_id = parse_global_id(target_id, "targetId", "Redemption")
    if await redemption_for(info, redemption_id) is None:
        raise NotFound("no such redemption", field="targetId")
    return f"Redemption:{redemption_id}"


async def share(info: Info, input: ShareInput) -> SharePayload:
    account = await viewer_account(info)
    runtime = info.context.runtime

    async def work() -> dict[str, Any]:
        target_id = await _share_target_id(info, input.target, input.target_id)
        made = await shares.share(
            account.id,
            input.target,
            target_id,
            input.idempotency_key,
            info.context.actor(Role.USER),
            runtime.rules,
            runtime.engagement,
        )
        return {"share": Share.from_model(made, runtime.engagement)}

    return await mutate(SharePayload, work)


async def open_share(info: Info, input: OpenShareInput) -> OpenSharePayload:
    account = await viewer_account(info)
    runtime = info.context.runtime

    async def work() -> dict[str, Any]:
        opened = await shares.open_share(
            account.id,
            input.token,
            info.context.actor(Role.USER),
            runtime.rules,
            runtime.engagement,
        )
        return {"rewarded": opened.reward > 0}

    return await mutate(OpenSharePayload, work)


async def leaderboard(info: Info, period: Period = Period.WEEKLY, first: int = 20) -> Leaderboard:
    """Points earned in the period: nicknames and points only."""
    if not 1 <= first <= MAX_BOARD:
        raise BadUserInput(f"first must be from 1 to {MAX_BOARD}")
    boards = info.context.runtime.leaderboards
    now = clock.now()
    viewer = await optional_viewer(info)
    try:
        entries = await boards.top(period, first, now)
        standing = await boards.standing(period, viewer.id, now) if viewer else None
    except (RedisError, OSError):
        raise Unavailable("the leaderboards are unavailable for a moment: try again") from None
    return Leaderboard(
        period=period,
        entries=[
            LeaderboardEntry(rank=entry.rank, nickname=entry.nickname, points=entry.points)
            for entry in entries
        ],
        me=LeaderboardStanding(rank=standing.rank, points=standing.points) if standing else None,
    )
