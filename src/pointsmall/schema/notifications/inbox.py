"""Notifications as clients see them: an interface, one type per kind; the inbox's inputs
and payloads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay
from strawberry.relay import GlobalID

from pointsmall.domain.errors import NotFound
from pointsmall.domain.notifications.notices import (
    CampaignStartingNotice,
    ExpiryWarning,
    GiftReceivedNotice,
    Notice,
    PointsEarnedNotice,
    PrizeAwardedNotice,
    RedemptionNotice,
    TaskReachedNotice,
    TierChangedNotice,
    TierReviewNotice,
    notice_of,
)
from pointsmall.models import RedemptionStatus
from pointsmall.schema.context import Info
from pointsmall.schema.engagement.tasks import Task
from pointsmall.schema.errors import UserError
from pointsmall.schema.mall.redemptions import Redemption
from pointsmall.schema.node import parse_global_id

if TYPE_CHECKING:
    from pointsmall.models import Notification as NotificationModel


@strawberry.interface(description="Something the user is told about. More kinds may come.")
class Notification(relay.Node):
    id: relay.NodeID[int]
    created_at: datetime
    read: bool

    @staticmethod
    def of(
        notification_id: int, notice: Notice, created_at: datetime, read: bool = False
    ) -> Notification:
        """The GraphQL object for a notice, stored or just published."""
        match notice:
            case PointsEarnedNotice():
                return PointsEarned(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    amount=notice.amount,
                    reason=notice.reason,
                    balance=notice.balance,
                )
            case ExpiryWarning():
                return PointsExpiringSoon(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    amount=notice.amount,
                    expires_at=notice.expires_at,
                    within_days=notice.within_days,
                )
            case RedemptionNotice():
                return RedemptionUpdated(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    status=notice.status,
                    status_reason=notice.reason,
                    _redemption_id=notice.redemption_id,
                )
            case TaskReachedNotice():
                return TaskCompleted(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    reward=notice.reward,
                    _task_id=notice.task_id,
                )
            case TierChangedNotice():
                return TierChanged(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    previous=notice.previous,
                    tier=notice.tier,
                    up=notice.up,
                )
            case TierReviewNotice():
                return TierReviewSoon(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    tier=notice.tier,
                    points_to_keep=notice.points_to_keep,
                    review_at=notice.review_at,
                )
            case CampaignStartingNotice():
                return CampaignStarting(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    campaign_name=notice.name,
                    starts_at=notice.starts_at,
                    _campaign_id=notice.campaign_id,
                )
            case PrizeAwardedNotice():
                return PrizeAwarded(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    campaign_name=notice.name,
                    rank=notice.rank,
                    points=notice.points,
                    coupon_code=notice.coupon_code,
                    _campaign_id=notice.campaign_id,
                )
            case GiftReceivedNotice():
                return GiftReceived(
                    id=notification_id,
                    created_at=created_at,
                    read=read,
                    occasion=notice.occasion,
                    points=notice.points,
                    expires_at=notice.expires_at,
                    coupon_code=notice.coupon_code,
                    message=notice.message,
                )

    @staticmethod
    def from_model(stored: NotificationModel) -> Notification:
        return Notification.of(
            stored.id,
            notice_of(stored.kind, stored.payload),
            stored.created_at,
            read=stored.read_at is not None,
        )


@strawberry.type(description="Points came in (or pending order points became spendable).")
class PointsEarned(Notification):
    amount: int
    reason: str | None
    balance: int = strawberry.field(description="The spendable balance just after.")


@strawberry.type(description="Points will expire soon: use them or lose them.")
class PointsExpiringSoon(Notification):
    amount: int
    expires_at: datetime
    within_days: int = strawberry.field(description="The warning's threshold: 3, then 1 day.")


@strawberry.type(description="A redemption was made or changed status.")
class RedemptionUpdated(Notification):
    status: RedemptionStatus = strawberry.field(
        description="The status this notification announces (the redemption may have moved on)."
    )
    status_reason: str | None
    _redemption_id: strawberry.Private[int]

    @strawberry.field(description="The redemption as it is now.")
    async def redemption(self, info: Info) -> Redemption:
        found = await info.context.loaders.mall.redemption.load(self._redemption_id)
        assert found is not None  # redemptions are never deleted
        return Redemption.from_model(found)


@strawberry.type(description="A task's tier was reached.")
class TaskCompleted(Notification):
    reward: int
    _task_id: strawberry.Private[int]

    @strawberry.field(description="The task as the user sees it now.")
    async def task(self, info: Info) -> Task | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        views = await info.context.loaders.engagement.task_views.load(viewer.id)
        seen = next((view for view in views if view.task.id == self._task_id), None)
        return Task.from_view(seen) if seen else None


@strawberry.type(description="The user's member tier changed.")
class TierChanged(Notification):
    previous: str = strawberry.field(description="The tier's name before.")
    tier: str = strawberry.field(description="The tier's name now.")
    up: bool = strawberry.field(description="Up (earned at once) or down (a yearly review).")


@strawberry.type(
    description="The yearly tier review is near and, as things stand, the tier would drop."
)
class TierReviewSoon(Notification):
    tier: str
    points_to_keep: int = strawberry.field(description="Points to earn by then to keep it.")
    review_at: datetime


@strawberry.type(description="A gift came: a welcome, a wake-up, a birthday.")
class GiftReceived(Notification):
    occasion: str = strawberry.field(description="welcome, wake-up or birthday.")
    points: int
    expires_at: datetime | None = strawberry.field(description="When the gift's points expire.")
    coupon_code: str | None = strawberry.field(description="A partner coupon, if one came.")
    message: str


@strawberry.type(description="A campaign you take part in starts.")
class CampaignStarting(Notification):
    campaign_name: str
    starts_at: datetime
    _campaign_id: strawberry.Private[int]

    @strawberry.field(description="The campaign's global ID.")
    def campaign_id(self) -> strawberry.ID:
        return strawberry.ID(str(GlobalID("Campaign", str(self._campaign_id))))


@strawberry.type(description="A ranking's prize was paid to you.")
class PrizeAwarded(Notification):
    campaign_name: str
    rank: int
    points: int
    coupon_code: str | None = strawberry.field(description="A partner coupon won, if any.")
    _campaign_id: strawberry.Private[int]

    @strawberry.field(description="The campaign's global ID.")
    def campaign_id(self) -> strawberry.ID:
        return strawberry.ID(str(GlobalID("Campaign", str(self._campaign_id))))


NOTIFICATION_TYPES = (
    "PointsEarned",
    "PointsExpiringSoon",
    "RedemptionUpdated",
    "TaskCompleted",
    "TierChanged",
    "TierReviewSoon",
    "GiftReceived",
    "CampaignStarting",
    "PrizeAwarded",
)
NotificationConnection = relay.Connection[Notification]


def notification_id(value: str, field: str) -> int:
    """The database id inside a notification's global ID."""
    type_name, key = parse_global_id(value, field)
    if type_name not in NOTIFICATION_TYPES:
        raise NotFound(f"{field} is not a notification id", field=field)
    return key


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="These ones.")
    all: bool = strawberry.field(default=False, description="Or all of them.")


@strawberry.type
class MarkNotificationsReadPayload:
    marked: int = 0
    unread_count: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)
