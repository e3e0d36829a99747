"""Tasks with progress bars: "place 1 more order to unlock 100 points".

A task counts one kind of event (orders, check-ins, shares, reviews, redemptions, or a
custom event the shop sends) within a window: the user's local day, week or month, the
task's whole life (ONCE), or a date range. With `consecutive_days`, what counts is days
in a row with such an event. Tiers pay as they are reached (1 / 3 / 5 orders for
50 / 100 / 200 points): at once when the task pays automatically, else when claimed.

Progress is recorded in the same transaction as the event that made it, with the
account row locked, and each tier pays through the ledger under a key of its own, so
nothing is counted or paid twice, whatever the retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.audience.audiences import existing_audience, memberships
from pointsmall.domain.errors import InvalidState, InvalidValue, NotFound
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import (
    Account,
    Task,
    TaskEvent,
    TaskState,
    TaskWindow,
)

MAX_TIERS = 10
MAX_TARGET = 10_000


@dataclass(frozen=True)
class Tier:
    target: int
    reward: int


@dataclass
class TaskFields:
    title: str
    event: TaskEvent
    window: TaskWindow
    description: str = ""
    custom_event: str | None = None
    target_count: int | None = None
    reward_points: int | None = None
    tiers: list[Tier] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    consecutive_days: bool = False
    min_order_amount: int | None = None
    auto_claim: bool = True
    audience_id: int | None = None  # only its members see the task and make progress


def _checked(task: TaskFields) -> dict[str, Any]:
    title = validation.text(task.title, "title", 120, required=True)
    description = validation.text(task.description, "description", 2_000) or ""
    custom = None
    if task.event == TaskEvent.CUSTOM:
        custom = (task.custom_event or "").strip().upper()
        if not custom or len(custom) > 32 or not all(c.isalnum() or c == "_" for c in custom):
            raise InvalidValue(
                "a CUSTOM task names its customEvent (A-Z, 0-9, _)", field="customEvent"
            )
    elif task.custom_event:
        raise InvalidValue("customEvent is for CUSTOM tasks", field="customEvent")
    tiers = task.tiers or []
    if not tiers:
        if task.target_count is None or task.reward_points is None:
            raise InvalidValue("give targetCount and rewardPoints, or tiers", field="targetCount")
        tiers = [Tier(task.target_count, task.reward_points)]
    if len(tiers) > MAX_TIERS:
        raise InvalidValue(f"at most {MAX_TIERS} tiers", field="tiers")
    previous = 0
    for tier in tiers:
        validation.whole_number(tier.target, "tiers", 1, MAX_TARGET)
        validation.positive_points(tier.reward, "tiers")
        if tier.target <= previous:
            raise InvalidValue("tier targets must rise", field="tiers")
        previous = tier.target
    if task.target_count is not None and task.target_count != tiers[-1].target:
        raise InvalidValue("targetCount is the last tier's target", field="targetCount")
    starts = validation.moment(task.starts_at, "startsAt")
    ends = validation.moment(task.ends_at, "endsAt")
    if starts and ends and ends <= starts:
        raise InvalidValue("endsAt must be after startsAt", field="endsAt")
    if task.window == TaskWindow.DATE_RANGE and not (starts and ends):
        raise InvalidValue("a DATE_RANGE task needs startsAt and endsAt", field="window")
    if task.consecutive_days and task.window == TaskWindow.DAILY:
        raise InvalidValue("days in a row do not fit in a DAILY window", field="consecutiveDays")
    if task.min_order_amount is not None:
        if task.event != TaskEvent.ORDER_PAID:
            raise InvalidValue("minOrderAmount is for ORDER_PAID tasks", field="minOrderAmount")
        validation.whole_number(task.min_order_amount, "minOrderAmount", 1, 10_000_000_000)
    return {
        "title": title,
        "description": description,
        "event": task.event,
        "custom_event": custom,
        "window": task.window,
        "starts_at": starts,
        "ends_at": ends,
        "consecutive_days": task.consecutive_days,
        "min_order_amount": task.min_order_amount,
        "tiers": [{"target": tier.target, "reward": tier.reward} for tier in tiers],
        "auto_claim": task.auto_claim,
        "audience_id": task.audience_id,
    }


async def create_task(task: TaskFields) -> Task:
    values = _checked(task)
    await existing_audience(values["audience_id"])
    now = clock.now()
    return await Task.create(**values, state=TaskState.ACTIVE, created_at=now, updated_at=now)


def fields_of(task: Task) -> TaskFields:
    return TaskFields(
        title=task.title,
        event=task.event,
        window=task.window,
        description=task.description,
        custom_event=task.custom_event,
        tiers=[Tier(**tier) for tier in task.tiers],
        starts_at=task.starts_at,
        ends_at=task.ends_at,
        consecutive_days=task.consecutive_days,
        min_order_amount=task.min_order_amount,
        auto_claim=task.auto_claim,
        audience_id=task.audience_id,
    )


async def update_task(task_id: int, changes: dict[str, Any]) -> Task:
    """Change some fields; the task as a whole must stay valid. Progress is kept. The row
    is locked so two edits at once cannot undo each other."""
    async with events.atomic():
        task = await Task.select_for_update(no_key=True).get_or_none(id=task_id)
        if task is None:
            raise NotFound("no such task", field="taskId")
        if task.state == TaskState.ARCHIVED:
            raise InvalidState("an archived task cannot change")
        merged = fields_of(task)
        for name, value in changes.items():
            if not hasattr(merged, name):
                raise InvalidValue(f"cannot change {name}", field=name)
            setattr(merged, name, value)
        if "tiers" not in changes and ("target_count" in changes or "reward_points" in changes):
            # a new single tier from targetCount and rewardPoints, the last tier giving
            # whichever of the two is left out
            last = tiers_of(task)[-1]
            merged.target_count = changes.get("target_count", last.target)
            merged.reward_points = changes.get("reward_points", last.reward)
            merged.tiers = None
        values = _checked(merged)
        await existing_audience(values["audience_id"])
        await Task.filter(id=task_id).update(**values, updated_at=clock.now())
        return await get_task(task_id)


async def archive_task(task_id: int) -> Task:
    """Withdraw a task: it counts nothing more and pays nothing more, claims included (to
    let users claim what they reached, end it with `endsAt` instead)."""
    await get_task(task_id)
    await Task.filter(id=task_id).update(state=TaskState.ARCHIVED, updated_at=clock.now())
    return await get_task(task_id)


async def get_task(task_id: int) -> Task:
    task = await Task.get_or_none(id=task_id)
    if task is None:
        raise NotFound("no such task", field="taskId")
    return task


def is_open(task: Task, now: datetime) -> bool:
    return (
        task.state == TaskState.ACTIVE
        and (task.starts_at is None or task.starts_at <= now)
        and (task.ends_at is None or now < task.ends_at)
    )


async def audiences_of(
    account: Account, tasks: list[Task], now: datetime, rules: LedgerRules
) -> set[int]:
    """Which of the tasks' audiences the user belongs to (at most two statements)."""
    wanted = {task.audience_id for task in tasks if task.audience_id is not None}
    return await memberships(account, wanted, now, rules)


def for_audience(task: Task, members: set[int]) -> bool:
    return task.audience_id is None or task.audience_id in members


def period_of(task: Task, now: datetime, zone: ZoneInfo) -> str:
    local = now.astimezone(zone)
    if task.window == TaskWindow.DAILY:
        return f"day:{local.date().isoformat()}"
    if task.window == TaskWindow.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"week:{year}-W{week:02d}"
    if task.window == TaskWindow.MONTHLY:
        return f"month:{local.year}-{local.month:02d}"
    return "once"


def tiers_of(task: Task) -> list[Tier]:
    return [Tier(**tier) for tier in task.tiers]


def reached(task: Task, current: int) -> int:
    return sum(1 for tier in tiers_of(task) if tier.target <= current)
