"""Tasks as a user sees them now: progress towards the next tier, a status, and a hint
for the app to show under the progress bar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pointsmall import clock
from pointsmall.domain.engagement.tasks import (
    Tier,
    audiences_of,
    for_audience,
    period_of,
    reached,
    tiers_of,
)
from pointsmall.domain.ledger.accounts import zone_of
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Task, TaskEvent, TaskProgress, TaskState, TaskWindow

UTC_ZONE = ZoneInfo("UTC")
VERBS = {
    TaskEvent.ORDER_PAID: ("Place {n} more order", "Place {n} more orders"),
    TaskEvent.CHECK_IN: ("Check in {n} more day", "Check in {n} more days"),
    TaskEvent.SHARE: ("Share {n} more time", "Share {n} more times"),
    TaskEvent.REVIEW: ("Write {n} more review", "Write {n} more reviews"),
    TaskEvent.REDEEM: ("Redeem {n} more item", "Redeem {n} more items"),
    TaskEvent.CUSTOM: ("Do it {n} more time", "Do it {n} more times"),
}
IN_A_ROW = {
    TaskEvent.ORDER_PAID: "Order on {n} more day{s} in a row",
    TaskEvent.CHECK_IN: "Check in {n} more day{s} in a row",
    TaskEvent.SHARE: "Share on {n} more day{s} in a row",
    TaskEvent.REVIEW: "Review on {n} more day{s} in a row",
    TaskEvent.REDEEM: "Redeem on {n} more day{s} in a row",
    TaskEvent.CUSTOM: "Keep going {n} more day{s} in a row",
}


@dataclass(frozen=True)
class TierProgress:
    target: int
    reward: int
    reached: bool


@dataclass(frozen=True)
class TaskView:
    """A task as one user sees it now (as ops see it: nobody's progress)."""

    task: Task
    current: int
    tiers_paid: int
    status: str
    hint: str
    next_tier: Tier | None

    @property
    def target(self) -> int:
        return self.next_tier.target if self.next_tier else tiers_of(self.task)[-1].target

    @property
    def shown_progress(self) -> int:
        """Progress as the bar shows it: up to the target."""
        return min(self.current, self.target)

    @property
    def percent(self) -> int:
        return 100 * self.shown_progress // self.target

    @property
    def claimable(self) -> int:
        """Points of tiers reached and not paid yet: what a claim would pay now."""
        tiers = tiers_of(self.task)
        done = reached(self.task, self.current)
        return sum(tier.reward for tier in tiers[self.tiers_paid : done])

    @property
    def tiers(self) -> list[TierProgress]:
        done = reached(self.task, self.current)
        return [
            TierProgress(tier.target, tier.reward, index < done)
            for index, tier in enumerate(tiers_of(self.task))
        ]

    @property
    def shown_reward(self) -> int:
        """The next tier's reward, or the last one's (the deprecated `reward` field)."""
        return (self.next_tier or tiers_of(self.task)[-1]).reward


def view(task: Task, progress: TaskProgress | None, now: datetime, zone: ZoneInfo) -> TaskView:
    current = progress.current if progress else 0
    if task.consecutive_days and progress and progress.last_day is not None:
        today = now.astimezone(zone).date()
        if progress.last_day < today - timedelta(days=1):
            current = 0  # the run is broken
    paid = progress.tiers_paid if progress else 0
    tiers = tiers_of(task)
    done = reached(task, current)
    next_tier = next((tier for tier in tiers if tier.target > current), None)
    ended = task.ends_at is not None and now >= task.ends_at
    if paid >= len(tiers):  # ops may have removed tiers since
        status, hint = "CLAIMED", _claimed_hint(task)
    elif done > paid:
        owed = sum(tier.reward for tier in tiers[paid:done])
        status, hint = "COMPLETED", f"Claim your {owed:,} points"
    elif ended:
        status, hint = "EXPIRED", "This task has ended"
    else:
        assert next_tier is not None
        status, hint = "IN_PROGRESS", _hint(task, next_tier.target - current, next_tier.reward)
    return TaskView(task, current, paid, status, hint, next_tier)


def _hint(task: Task, need: int, reward: int) -> str:
    if task.consecutive_days:
        text = IN_A_ROW[task.event].format(n=need, s="" if need == 1 else "s")
    else:
        text = VERBS[task.event][0 if need == 1 else 1].format(n=need)
    return f"{text} to unlock {reward:,} points"


def _claimed_hint(task: Task) -> str:
    return {
        TaskWindow.DAILY: "All done for today: come back tomorrow",
        TaskWindow.WEEKLY: "All done this week",
        TaskWindow.MONTHLY: "All done this month",
    }.get(task.window, "All rewards claimed")


def ops_view(task: Task) -> TaskView:
    """A task as ops see it: its tiers, nobody's progress."""
    return view(task, None, task.created_at, UTC_ZONE)


async def tasks_for(account: Account, rules: LedgerRules) -> list[TaskView]:
    """The user's open tasks (and ended ones with something left to claim), in two queries
    (two more when some task is kept for an audience)."""
    now = clock.now()
    zone = zone_of(account, rules.zone)
    started = [
        task
        for task in await Task.filter(state=TaskState.ACTIVE).order_by("id")
        if task.starts_at is None or task.starts_at <= now
    ]
    members = await audiences_of(account, started, now, rules)
    tasks = [task for task in started if for_audience(task, members)]
    rows = await TaskProgress.filter(account_id=account.id, task_id__in=[t.id for t in tasks])
    by_key = {(row.task_id, row.period): row for row in rows}
    views = [
        view(task, by_key.get((task.id, period_of(task, now, zone))), now, zone) for task in tasks
    ]
    return [item for item in views if item.status != "EXPIRED" or item.current > 0]


async def task_view(account: Account, task_id: int, rules: LedgerRules) -> TaskView | None:
    """One task as the user sees it now, if it is one of theirs."""
    return next((item for item in await tasks_for(account, rules) if item.task.id == task_id), None)
