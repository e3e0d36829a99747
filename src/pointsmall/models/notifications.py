"""The durable inbox: every notification is stored before it is published."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NotRequired, TypedDict

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from pointsmall.models.ledger import Account


class NotificationKind(enum.StrEnum):
    POINTS_EARNED = "POINTS_EARNED"
    POINTS_EXPIRING_SOON = "POINTS_EXPIRING_SOON"
    REDEMPTION_UPDATED = "REDEMPTION_UPDATED"
    TASK_COMPLETED = "TASK_COMPLETED"
    TIER_CHANGED = "TIER_CHANGED"
    TIER_REVIEW = "TIER_REVIEW"
    GIFT_RECEIVED = "GIFT_RECEIVED"
    CAMPAIGN_STARTING = "CAMPAIGN_STARTING"
    PRIZE_AWARDED = "PRIZE_AWARDED"


class PointsEarnedPayload(TypedDict):
    amount: int
    reason: str | None
    balance: int


class ExpiryWarningPayload(TypedDict):
    amount: int
    expires_at: str  # ISO-8601
    within_days: int


class RedemptionPayload(TypedDict):
    redemption_id: int
    status: str
    reason: str | None


class TaskReachedPayload(TypedDict):
    task_id: int
    title: str
    reward: int


class TierChangedPayload(TypedDict):
    previous: str
    tier: str
    up: bool


class TierReviewPayload(TypedDict):
    tier: str
    points_to_keep: int
    review_at: str  # ISO-8601


class GiftPayload(TypedDict):
    occasion: str
    points: int
    expires_at: str | None  # ISO-8601
    coupon_code: str | None
    message: str


class CampaignPayload(TypedDict):
    campaign_id: int
    name: str
    starts_at: str | None  # ISO-8601 (CampaignStarting)
    rank: int | None  # (PrizeAwarded)
    points: int | None
    coupon_code: NotRequired[str | None]


NoticePayload = (
    PointsEarnedPayload
    | ExpiryWarningPayload
    | RedemptionPayload
    | TaskReachedPayload
    | TierChangedPayload
    | TierReviewPayload
    | GiftPayload
    | CampaignPayload
)


class Notification(Model):
    """Something a user is told about. `dedupe_key` makes a repeated warning a no-op."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="notifications", on_delete=fields.RESTRICT
    )
    account_id: int
    kind = fields.CharEnumField(NotificationKind, max_length=24)
    payload: fields.Field[NoticePayload] = fields.JSONField()
    dedupe_key = fields.CharField(max_length=96, null=True)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        unique_together = (("account", "dedupe_key"),)
        indexes = (("account_id", "id"),)
