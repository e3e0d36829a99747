"""What a notification says: one dataclass per kind, shared by the domain that writes it, the
broker that carries it and the schema that shows it.

A notice is stored as its kind and a JSON payload (`payload_of`; the payloads' shapes are
TypedDicts in `models.notifications`), and read back, from the inbox or from a broker
message, with `notice_of`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, cast

from pointsmall.models import NotificationKind, RedemptionStatus
from pointsmall.models.notifications import (
    CampaignPayload,
    ExpiryWarningPayload,
    GiftPayload,
    NoticePayload,
    PointsEarnedPayload,
    RedemptionPayload,
    TaskReachedPayload,
    TierChangedPayload,
    TierReviewPayload,
)


@dataclass(frozen=True)
class PointsEarnedNotice:
    """Points came in (or pending order points became spendable)."""

    kind: ClassVar[NotificationKind] = NotificationKind.POINTS_EARNED
    amount: int
    reason: str | None
    balance: int  # spendable just after


@dataclass(frozen=True)
class ExpiryWarning:
    """Points will expire soon."""

    kind: ClassVar[NotificationKind] = NotificationKind.POINTS_EXPIRING_SOON
    amount: int
    expires_at: datetime
    within_days: int  # the warning's threshold


@dataclass(frozen=True)
class RedemptionNotice:
    """A redemption was made or changed status."""

    kind: ClassVar[NotificationKind] = NotificationKind.REDEMPTION_UPDATED
    redemption_id: int
    status: RedemptionStatus  # the status this notice announces
    reason: str | None


@dataclass(frozen=True)
class TaskReachedNotice:
    """A task's tier was reached."""

    kind: ClassVar[NotificationKind] = NotificationKind.TASK_COMPLETED
    task_id: int
    title: str
    reward: int


@dataclass(frozen=True)
class TierChangedNotice:
    """The user's member tier changed: up as soon as earned, down at a yearly review."""

    kind: ClassVar[NotificationKind] = NotificationKind.TIER_CHANGED
    previous: str
    tier: str
    up: bool


@dataclass(frozen=True)
class TierReviewNotice:
    """The yearly review is near and, as things stand, the user would move down."""

    kind: ClassVar[NotificationKind] = NotificationKind.TIER_REVIEW
    tier: str
    points_to_keep: int
    review_at: datetime


@dataclass(frozen=True)
class GiftReceivedNotice:
    """A lifecycle gift came: a welcome, a wake-up, a birthday."""

    kind: ClassVar[NotificationKind] = NotificationKind.GIFT_RECEIVED
    occasion: str  # welcome, wake-up, birthday
    points: int
    expires_at: datetime | None
    coupon_code: str | None
    message: str


@dataclass(frozen=True)
class CampaignStartingNotice:
    """A campaign the user joined (or was in the audience of) starts."""

    kind: ClassVar[NotificationKind] = NotificationKind.CAMPAIGN_STARTING
    campaign_id: int
    name: str
    starts_at: datetime


@dataclass(frozen=True)
class PrizeAwardedNotice:
    """A ranking's prize was paid at the campaign's settlement."""

    kind: ClassVar[NotificationKind] = NotificationKind.PRIZE_AWARDED
    campaign_id: int
    name: str
    rank: int
    points: int
    coupon_code: str | None = None


Notice = (
    PointsEarnedNotice
    | ExpiryWarning
    | RedemptionNotice
    | TaskReachedNotice
    | TierChangedNotice
    | TierReviewNotice
    | GiftReceivedNotice
    | CampaignStartingNotice
    | PrizeAwardedNotice
)


def payload_of(notice: Notice) -> NoticePayload:
    match notice:
        case PointsEarnedNotice():
            return PointsEarnedPayload(
                amount=notice.amount, reason=notice.reason, balance=notice.balance
            )
        case ExpiryWarning():
            return ExpiryWarningPayload(
                amount=notice.amount,
                expires_at=notice.expires_at.isoformat(),
                within_days=notice.within_days,
            )
        case RedemptionNotice():
            return RedemptionPayload(
                redemption_id=notice.redemption_id,
                status=notice.status.value,
                reason=notice.reason,
            )
        case TaskReachedNotice():
            return TaskReachedPayload(
                task_id=notice.task_id, title=notice.title, reward=notice.reward
            )
        case TierChangedNotice():
            return TierChangedPayload(previous=notice.previous, tier=notice.tier, up=notice.up)
        case TierReviewNotice():
            return TierReviewPayload(
                tier=notice.tier,
                points_to_keep=notice.points_to_keep,
                review_at=notice.review_at.isoformat(),
            )
        case CampaignStartingNotice():
            return CampaignPayload(
                campaign_id=notice.campaign_id,
                name=notice.name,
                starts_at=notice.starts_at.isoformat(),
                rank=None,
                points=None,
            )
        case PrizeAwardedNotice():
            return CampaignPayload(
                campaign_id=notice.campaign_id,
                name=notice.name,
                starts_at=None,
                rank=notice.rank,
                points=notice.points,
                coupon_code=notice.coupon_code,
            )
        case GiftReceivedNotice():
            return GiftPayload(
                occasion=notice.occasion,
                points=notice.points,
                expires_at=notice.expires_at.isoformat() if notice.expires_at else None,
                coupon_code=notice.coupon_code,
                message=notice.message,
            )


def notice_of(kind: NotificationKind | str, payload: NoticePayload) -> Notice:
    """The notice a stored (or published) kind and payload say."""
    match NotificationKind(kind):
        case NotificationKind.POINTS_EARNED:
            earned = cast(PointsEarnedPayload, payload)
            return PointsEarnedNotice(earned["amount"], earned["reason"], earned["balance"])
        case NotificationKind.POINTS_EXPIRING_SOON:
            warning = cast(ExpiryWarningPayload, payload)
            return ExpiryWarning(
                warning["amount"],
                datetime.fromisoformat(warning["expires_at"]),
                warning["within_days"],
            )
        case NotificationKind.REDEMPTION_UPDATED:
            changed = cast(RedemptionPayload, payload)
            return RedemptionNotice(
                changed["redemption_id"], RedemptionStatus(changed["status"]), changed["reason"]
            )
        case NotificationKind.TASK_COMPLETED:
            reached = cast(TaskReachedPayload, payload)
            return TaskReachedNotice(reached["task_id"], reached["title"], reached["reward"])
        case NotificationKind.TIER_CHANGED:
            changed_tier = cast(TierChangedPayload, payload)
            return TierChangedNotice(
                changed_tier["previous"], changed_tier["tier"], changed_tier["up"]
            )
        case NotificationKind.TIER_REVIEW:
            review = cast(TierReviewPayload, payload)
            return TierReviewNotice(
                review["tier"],
                review["points_to_keep"],
                datetime.fromisoformat(review["review_at"]),
            )
        case NotificationKind.CAMPAIGN_STARTING:
            starting = cast(CampaignPayload, payload)
            return CampaignStartingNotice(
                starting["campaign_id"],
                starting["name"],
                datetime.fromisoformat(starting["starts_at"] or ""),
            )
        case NotificationKind.PRIZE_AWARDED:
            prize = cast(CampaignPayload, payload)
            return PrizeAwardedNotice(
                prize["campaign_id"],
                prize["name"],
                prize["rank"] or 0,
                prize["points"] or 0,
                prize.get("coupon_code"),
            )
        case NotificationKind.GIFT_RECEIVED:
            gift = cast(GiftPayload, payload)
            expires = gift["expires_at"]
            return GiftReceivedNotice(
                gift["occasion"],
                gift["points"],
                datetime.fromisoformat(expires) if expires else None,
                gift["coupon_code"],
                gift["message"],
            )
