"""Orders, tasks, check-ins, leaderboards and shares as clients see them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Self
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay

from pointsmall.domain.engagement.checkins import CheckInStatus, month_calendar
from pointsmall.domain.engagement.leaderboards import Period
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.engagement.shares import share_url
from pointsmall.domain.engagement.task_views import TaskView, view
from pointsmall.domain.engagement.tasks import reached, tiers_of
from pointsmall.domain.errors import InvalidValue
from pointsmall.models import Account as AccountModel
from pointsmall.models import EarningRate as EarningRateModel
from pointsmall.models import Order as OrderModel
from pointsmall.models import OrderRefund as OrderRefundModel
from pointsmall.models import Share as ShareModel
from pointsmall.models import ShareTarget, TaskEvent, TaskWindow
from pointsmall.models import Task as TaskModel
from pointsmall.schema.context import Info
from pointsmall.schema.errors import BadUserInput

UTC_ZONE = ZoneInfo("UTC")
strawberry.enum(TaskEvent, description="What a task counts.")
strawberry.enum(TaskWindow, description="The period a task's progress counts in.")
strawberry.enum(ShareTarget, description="What a share link points to.")
LeaderboardPeriod = Period
strawberry.enum(LeaderboardPeriod, name="LeaderboardPeriod")


@strawberry.enum(description="Where the user is with a task.")
class TaskStatus(enum.StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"  # a reward is waiting to be claimed
    CLAIMED = "CLAIMED"
    EXPIRED = "EXPIRED"


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
    def from_model(cls, order: OrderModel, rules: EngagementRules) -> Self:
        return cls(
            order_id=order.order_id,
            points=order.points,
            first_order_bonus=order.first_order_bonus,
            pending_until=order.paid_at + rules.return_window,
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
    audience_tags: list[str]
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
        tiers = tiers_of(task)
        done = reached(task, view.current)
        target = view.target
        current = min(view.current, target)
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
            audience_tags=list(task.audience_tags),
            reward=(view.next_tier or tiers[-1]).reward,
            claimable=view.claimable,
            next_reward=view.next_tier.reward if view.next_tier else None,
            status=TaskStatus(view.status),
            hint=view.hint,
            progress=TaskProgress(current=current, target=target, percent=100 * current // target),
            tiers=[
                TaskTier(target=tier.target, reward=tier.reward, reached=index < done)
                for index, tier in enumerate(tiers)
            ],
        )

    @classmethod
    def for_ops(cls, task: TaskModel) -> Self:
        """A task as ops see it: no user's progress."""
        return cls.from_view(view(task, None, task.created_at, UTC_ZONE))


@strawberry.type
class CalendarDay:
    date: date
    checked_in: bool
    reward: int | None


@strawberry.type(description="The daily check-in card.")
class CheckInCard:
    checked_in_today: bool
    streak: int = strawberry.field(description="Days in a row, counting today or yesterday.")
    today_reward: int
    next_reward: int
    _account: strawberry.Private[AccountModel]

    @classmethod
    def from_status(cls, status: CheckInStatus, account: AccountModel) -> Self:
        return cls(
            checked_in_today=status.checked_in_today,
            streak=status.streak,
            today_reward=status.today_reward,
            next_reward=status.next_reward,
            _account=account,
        )

    @strawberry.field(
        description='The days of a month, e.g. month: "2026-11"; by default the current one.'
    )
    async def calendar(self, info: Info, month: str | None = None) -> list[CalendarDay]:
        try:
            days = await month_calendar(self._account, month, info.context.runtime.settings.zone)
        except InvalidValue as error:
            raise BadUserInput(error.message) from None
        return [
            CalendarDay(date=day.day, checked_in=day.checked_in, reward=day.reward) for day in days
        ]


@strawberry.type(description="A day's check-in.")
class CheckIn:
    date: date
    streak: int
    reward: int


@strawberry.type(description="Only nicknames and points: nothing else of other users.")
class LeaderboardEntry:
    rank: int
    nickname: str
    points: int


@strawberry.type
class LeaderboardStanding:
    rank: int
    points: int


@strawberry.type
class Leaderboard:
    period: LeaderboardPeriod
    entries: list[LeaderboardEntry]
    me: LeaderboardStanding | None = strawberry.field(
        description="The caller's place (null: not ranked in this period)."
    )


@strawberry.type(description="A share link.")
class Share:
    url: str
    token: str
    target: ShareTarget
    target_id: str
    reward_points: int = strawberry.field(description="What sharing it earned (0 once capped).")

    @classmethod
    def from_model(cls, share: ShareModel, rules: EngagementRules) -> Self:
        return cls(
            url=share_url(share, rules),
            token=share.token,
            target=share.target,
            target_id=share.target_id,
            reward_points=share.reward,
        )


@strawberry.type(description='The "my points achievement" card a user may share.')
class Achievement:
    total_earned: int = strawberry.field(description="Points earned, net of refunds.")
    streak: int = strawberry.field(description="Check-in days in a row.")
    rank_percentile: float | None = strawberry.field(
        description="Share of ranked users this user is ahead of, all time (0-100)."
    )
