"""Accounts and their points as clients see them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Self

import strawberry
from redis.exceptions import RedisError
from strawberry import relay

from pointsmall import clock
from pointsmall.auth import Role
from pointsmall.domain.engagement.checkins import status as check_in_status
from pointsmall.domain.engagement.leaderboards import Period
from pointsmall.domain.engagement.task_views import tasks_for
from pointsmall.domain.ledger.balances import ExpiringPoints as ExpiringPointsModel
from pointsmall.domain.ledger.balances import PointsSummary, points_earned
from pointsmall.domain.notifications import inbox
from pointsmall.models import Account as AccountModel
from pointsmall.schema.context import Info
from pointsmall.schema.engagement import Achievement, CheckInCard, Task
from pointsmall.schema.errors import BadUserInput, Forbidden
from pointsmall.schema.ledger import LedgerConnection, ledger_connection
from pointsmall.schema.notifications import NotificationConnection
from pointsmall.schema.notifications import from_model as notification_from_model
from pointsmall.schema.pagination import connection, decode_cursor, encode_cursor, page_size
from pointsmall.schema.redemptions import RedemptionConnection, redemption_connection

MAX_EXPIRY_WINDOW_DAYS = 366
EXPIRY_WINDOW_DAYS = 30  # expiringSoon's look-ahead when the client names none
NOTIFICATION_CURSOR = "notification"


@strawberry.type(description="Points that expire together.")
class ExpiringPoints:
    amount: int
    expires_at: datetime

    @classmethod
    def from_model(cls, expiring: ExpiringPointsModel) -> Self:
        return cls(amount=expiring.amount, expires_at=expiring.expires_at)


@strawberry.type(description="An account's points now.")
class Points:
    balance: int = strawberry.field(description="Spendable now.")
    pending: int = strawberry.field(description="Earned, spendable once their window passes.")
    held: int = strawberry.field(description="Set aside for redemptions under review or payment.")
    frozen: bool = strawberry.field(description="A frozen account cannot spend or hold points.")
    owed: int = strawberry.field(
        description="Points a refund could not take back: later earnings pay them off first."
    )
    _summary: strawberry.Private[PointsSummary]

    @classmethod
    def from_summary(cls, summary: PointsSummary) -> Self:
        return cls(
            balance=summary.balance,
            pending=summary.pending,
            held=summary.held,
            frozen=summary.frozen,
            owed=summary.owed,
            _summary=summary,
        )

    @strawberry.field(description="Points expiring within the window, soonest first.")
    def expiring_soon(self, within_days: int | None = EXPIRY_WINDOW_DAYS) -> list[ExpiringPoints]:
        within_days = EXPIRY_WINDOW_DAYS if within_days is None else within_days
        if not 1 <= within_days <= MAX_EXPIRY_WINDOW_DAYS:
            raise BadUserInput(f"withinDays must be from 1 to {MAX_EXPIRY_WINDOW_DAYS}")
        return [
            ExpiringPoints.from_model(item)
            for item in self._summary.expiring_within(timedelta(days=within_days))
        ]

    @strawberry.field(description="The next points to expire, if any.")
    def next_expiry(self) -> ExpiringPoints | None:
        upcoming = self._summary.next_expiry()
        return ExpiringPoints.from_model(upcoming) if upcoming else None


def _private(info: Info, account_id: int) -> None:
    """History, inbox, redemptions and the like: for the user themselves and for admins
    only (the shop's back end sees an account's points in its payloads, no more)."""
    principal = info.context.principal
    if principal is not None and principal.has(Role.ADMIN):
        return
    viewer = info.context.viewer
    if viewer is None or viewer.id != account_id:
        raise Forbidden("this part of an account is for its user and for admins")


def _own(info: Info, account_id: int) -> None:
    """The inbox: for the user alone, admins included out (what it tells is in the history,
    redemptions and points admins can see; node() answers the same for its ids)."""
    viewer = info.context.viewer
    if viewer is None or viewer.id != account_id:
        raise Forbidden("the inbox is for its user alone")


@strawberry.type(description="A user's points account.")
class Account(relay.Node):
    id: relay.NodeID[int]
    user_id: str = strawberry.field(description="The shop's user id.")
    nickname: str | None
    timezone: str = strawberry.field(description="IANA time zone of the user's local days.")
    registered_at: datetime | None
    tags: list[str] = strawberry.field(description="Audience tags from the shop's profile.")
    frozen: bool
    _model: strawberry.Private[AccountModel]

    @classmethod
    def from_model(cls, account: AccountModel, default_timezone: str) -> Self:
        return cls(
            id=account.id,
            user_id=account.user_id,
            nickname=account.nickname,
            timezone=account.timezone or default_timezone,
            registered_at=account.registered_at,
            tags=list(account.tags),
            frozen=account.frozen,
            _model=account,
        )

    @strawberry.field
    async def points(self, info: Info) -> Points:
        return Points.from_summary(await info.context.loaders.points_by_account.load(self.id))

    @strawberry.field(description="Open tasks with progress bars and hints.")
    async def tasks(self, info: Info) -> list[Task]:
        _private(info, self.id)
        views = await tasks_for(self._model, info.context.runtime.rules)
        return [Task.from_view(view) for view in views]

    @strawberry.field(name="checkIn", description="The daily check-in card.")
    async def check_in_card(self, info: Info) -> CheckInCard:
        _private(info, self.id)
        runtime = info.context.runtime
        status = await check_in_status(self._model, runtime.rules, runtime.engagement)
        return CheckInCard.from_status(status, self._model)

    @strawberry.field(description='The "my points achievement" card.')
    async def achievement(self, info: Info) -> Achievement:
        _private(info, self.id)
        runtime = info.context.runtime
        now = clock.now()
        status = await check_in_status(self._model, runtime.rules, runtime.engagement)
        boards = runtime.leaderboards
        try:
            standing = await boards.standing(Period.ALL_TIME, self.id, now)
            ranked = await boards.size(Period.ALL_TIME, now)
        except (RedisError, OSError):  # the boards are away: no percentile for now
            standing, ranked = None, 0
        percentile = (
            round(100 * (ranked - standing.rank) / ranked, 1) if standing and ranked else None
        )
        return Achievement(
            total_earned=await points_earned(self.id),
            streak=status.streak,
            rank_percentile=percentile,
        )

    @strawberry.field(description="The inbox, newest first.")
    async def notifications(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        unread_only: bool = False,
    ) -> NotificationConnection:
        _own(info, self.id)
        size = page_size(first)
        after_keys = decode_cursor(NOTIFICATION_CURSOR, after)
        before_id = after_keys[0] if after_keys else None
        rows = await inbox.page(
            self.id, after_id=None, before_id=before_id, limit=size + 1, unread_only=unread_only
        )
        return connection(
            rows,
            [notification_from_model(row) for row in rows[:size]],
            size,
            lambda row: encode_cursor(NOTIFICATION_CURSOR, row.id),
            has_previous=before_id is not None,
        )

    @strawberry.field
    async def unread_notification_count(self, info: Info) -> int:
        _own(info, self.id)
        return await inbox.unread_count(self.id)

    @strawberry.field(description="Redemptions, newest first.")
    async def redemptions(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> RedemptionConnection:
        _private(info, self.id)
        return await redemption_connection(self.id, None, first, after)

    @strawberry.field(description="History, newest first.")
    async def ledger(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> LedgerConnection:
        _private(info, self.id)
        return await ledger_connection(self.id, first, after)
