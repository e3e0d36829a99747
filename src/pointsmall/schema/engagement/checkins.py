"""The daily check-in card and a day's check-in; the check-in mutation's input and payload."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Self

import strawberry

from pointsmall.domain.engagement.checkins import CheckInStatus
from pointsmall.domain.errors import InvalidValue
from pointsmall.schema.context import Info
from pointsmall.schema.errors import BadUserInput, UserError

if TYPE_CHECKING:
    from pointsmall.models import CheckIn as CheckInModel


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
    _account_id: strawberry.Private[int]

    @classmethod
    def from_status(cls, status: CheckInStatus, account_id: int) -> Self:
        return cls(
            checked_in_today=status.checked_in_today,
            streak=status.streak,
            today_reward=status.today_reward,
            next_reward=status.next_reward,
            _account_id=account_id,
        )

    @strawberry.field(
        description='The days of a month, e.g. month: "2026-11"; by default the current one.'
    )
    async def calendar(self, info: Info, month: str | None = None) -> list[CalendarDay]:
        try:
            days = await info.context.loaders.engagement.calendar.load((self._account_id, month))
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

    @classmethod
    def from_model(cls, done: CheckInModel) -> Self:
        return cls(date=done.local_date, streak=done.streak, reward=done.reward)


@strawberry.input
class CheckInInput:
    idempotency_key: str


@strawberry.type
class CheckInPayload:
    check_in: CheckIn | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
