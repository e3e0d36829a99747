"""Accounts and their points as clients see them; the account mutations' inputs and payloads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Self

import strawberry
from strawberry import relay

from pointsmall import access, clock
from pointsmall.dataloaders.ledger import EntriesPage
from pointsmall.dataloaders.mall import RedemptionsPage
from pointsmall.dataloaders.notifications import InboxPage
from pointsmall.domain.ledger.balances import ExpiringPoints as ExpiringPointsModel
from pointsmall.domain.ledger.balances import PointsSummary
from pointsmall.schema.audience.segments import Segment
from pointsmall.schema.audience.tiers import MemberTier, Rfm
from pointsmall.schema.campaigns.campaigns import Campaign as CampaignType
from pointsmall.schema.campaigns.campaigns import MyCampaign
from pointsmall.schema.context import Info
from pointsmall.schema.engagement.checkins import CheckInCard
from pointsmall.schema.engagement.leaderboards import Achievement
from pointsmall.schema.engagement.tasks import Task
from pointsmall.schema.errors import BadUserInput, UserError
from pointsmall.schema.ledger.entries import LedgerConnection, LedgerEntry
from pointsmall.schema.mall.redemptions import Redemption, RedemptionConnection
from pointsmall.schema.notifications.inbox import Notification, NotificationConnection
from pointsmall.schema.pagination import (
    Keyset,
    each,
    from_microseconds,
    keyset_page,
    microseconds,
)

if TYPE_CHECKING:
    from pointsmall.models import Account as AccountModel
    from pointsmall.models import Entry
    from pointsmall.models import Notification as NotificationModel
    from pointsmall.models import Redemption as RedemptionModel

MAX_EXPIRY_WINDOW_DAYS = 366
EXPIRY_WINDOW_DAYS = 30  # expiringSoon's look-ahead when the client names none


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


@strawberry.type(description="A user's points account.")
class Account(relay.Node):
    id: relay.NodeID[int]
    user_id: str = strawberry.field(description="The shop's user id.")
    nickname: str | None
    timezone: str = strawberry.field(description="IANA time zone of the user's local days.")
    registered_at: datetime | None
    tags: list[str] = strawberry.field(description="Audience tags from the shop's profile.")
    frozen: bool
    segment: Segment = strawberry.field(
        description="Where the user is in their life with the shop, from their paid orders "
        "and registration (restated on each order and refund, and hourly as time passes)."
    )
    segment_since: datetime | None = strawberry.field(
        description="When the user entered the segment (null: since the account opened)."
    )
    rfm: Rfm | None = strawberry.field(
        description="RFM scores and segment, recomputed nightly (null: no paid order in a year)."
    )

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
            segment=account.segment,
            segment_since=account.segment_since,
            rfm=Rfm(
                recency=account.rfm_recency,
                frequency=account.rfm_frequency or 0,
                monetary=account.rfm_monetary or 0,
                segment=account.rfm_segment,
            )
            if account.rfm_segment is not None and account.rfm_recency is not None
            else None,
        )

    @strawberry.field(
        description="Campaigns for the user: preheating (with a countdown) and live ones of "
        "their audience, and the ones they took part in that ended in the last week."
    )
    async def campaigns(self, info: Info) -> list[MyCampaign]:
        access.require_user_or_admin(info, self.id)
        loaders = info.context.loaders.campaigns
        now = clock.now()
        shown = []
        for found, taking in await loaders.shown.load(self.id):
            rank = await loaders.rank.load(taking) if taking is not None else None
            shown.append(MyCampaign.of(CampaignType.from_model(found, now), taking, rank, now))
        return shown

    @strawberry.field(description="The member tier, its progress and benefits.")
    async def tier(self, info: Info) -> MemberTier:
        return MemberTier.of(await info.context.loaders.ledger.tier.load(self.id))

    @strawberry.field
    async def points(self, info: Info) -> Points:
        summary = await info.context.loaders.ledger.points.load(self.id)
        info.context.changes_by(summary.next_change)  # for the response cache
        return Points.from_summary(summary)

    @strawberry.field(description="Open tasks with progress bars and hints.")
    async def tasks(self, info: Info) -> list[Task]:
        access.require_user_or_admin(info, self.id)
        views = await info.context.loaders.engagement.task_views.load(self.id)
        return [Task.from_view(view) for view in views]

    @strawberry.field(name="checkIn", description="The daily check-in card.")
    async def check_in_card(self, info: Info) -> CheckInCard:
        access.require_user_or_admin(info, self.id)
        status = await info.context.loaders.engagement.check_in.load(self.id)
        return CheckInCard.from_status(status, self.id)

    @strawberry.field(description='The "my points achievement" card.')
    async def achievement(self, info: Info) -> Achievement:
        access.require_user_or_admin(info, self.id)
        return Achievement.from_model(
            await info.context.loaders.engagement.achievement.load(self.id)
        )

    @strawberry.field(description="The inbox, newest first.")
    async def notifications(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        unread_only: bool = False,
    ) -> NotificationConnection:
        access.require_user(info, self.id)
        pages = info.context.loaders.notifications.pages

        async def read(keys: tuple[int, ...] | None, limit: int) -> list[NotificationModel]:
            before = keys[0] if keys else None
            return await pages.load(InboxPage(self.id, before, limit, unread_only))

        keyset = Keyset(
            "notification", 1, read, lambda row: (row.id,), each(Notification.from_model)
        )
        return await keyset_page(keyset, first, after)

    @strawberry.field
    async def unread_notification_count(self, info: Info) -> int:
        access.require_user(info, self.id)
        return await info.context.loaders.notifications.unread.load(self.id)

    @strawberry.field(description="Redemptions, newest first.")
    async def redemptions(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> RedemptionConnection:
        access.require_user_or_admin(info, self.id)
        pages = info.context.loaders.mall.redemption_pages

        async def read(keys: tuple[int, ...] | None, limit: int) -> list[RedemptionModel]:
            before = keys[0] if keys else None
            return await pages.load(RedemptionsPage(self.id, None, before, limit))

        keyset = Keyset("redemption", 1, read, lambda row: (row.id,), each(Redemption.from_model))
        return await keyset_page(keyset, first, after)

    @strawberry.field(description="History, newest first.")
    async def ledger(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> LedgerConnection:
        access.require_user_or_admin(info, self.id)
        pages = info.context.loaders.ledger.entry_pages

        async def read(keys: tuple[int, ...] | None, limit: int) -> list[Entry]:
            before = (from_microseconds(keys[0]), keys[1]) if keys else None
            return await pages.load(EntriesPage(self.id, before, limit))

        keyset = Keyset(
            "entry",
            2,
            read,
            lambda entry: (microseconds(entry.created_at), entry.id),
            each(LedgerEntry.from_model),
        )
        return await keyset_page(keyset, first, after)


@strawberry.input(description="Create or update a user's profile (the shop's back end).")
class UpsertUserInput:
    user_id: str = strawberry.field(description="The shop's user id.")
    nickname: str | None = strawberry.field(default=None, description="Shown on leaderboards.")
    timezone: str | None = strawberry.field(
        default=None, description="IANA time zone, e.g. Asia/Shanghai: where the user's days are."
    )
    registered_at: datetime | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="Audience tags; replaces the stored list when given."
    )
    birthday: date | None = strawberry.field(
        default=None, description="The user's birthday (its year is not kept): a gift that day."
    )
    attributes: list[AttributeValueInput] | None = strawberry.field(
        default=None,
        description="Custom attributes audiences may match (e.g. city); replaces the stored "
        "ones when given.",
    )


@strawberry.input(description="A custom attribute: a name such as city (a-z, 0-9, _), a value.")
class AttributeValueInput:
    name: str
    value: str


@strawberry.input
class FreezeAccountInput:
    user_id: str
    reason: str


@strawberry.input
class UnfreezeAccountInput:
    user_id: str
    reason: str


@strawberry.type
class UpsertUserPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FreezeAccountPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UnfreezeAccountPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
