"""Campaigns: activities with a life, an audience, mechanics, a budget and participants."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from pointsmall.models.audience import Audience
    from pointsmall.models.ledger import Account


class CampaignState(enum.StrEnum):
    """What admins last made of a campaign; time does the rest (`CampaignStatus`)."""

    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    PAUSED = "PAUSED"
    ENDED = "ENDED"  # ended early by an admin (or, once settled, by time)
    SETTLED = "SETTLED"
    CANCELLED = "CANCELLED"


class CampaignStatus(enum.StrEnum):
    """Where a campaign is in its life now: DRAFT -> SCHEDULED -> PREHEAT -> LIVE -> ENDED
    -> SETTLED, or PAUSED, or CANCELLED."""

    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    PREHEAT = "PREHEAT"
    LIVE = "LIVE"
    PAUSED = "PAUSED"
    ENDED = "ENDED"
    SETTLED = "SETTLED"
    CANCELLED = "CANCELLED"


class Enrolment(enum.StrEnum):
    AUTOMATIC = "AUTOMATIC"  # every member of the audience takes part
    REQUIRED = "REQUIRED"  # users join (joinCampaign), within the capacity


class Campaign(Model):
    """`mechanics`, `form_fields` and `variants` are checked JSON (see
    `domain.campaigns.definitions`). `budget_spent` only ever moves by a conditional
    update, like stock; so does `participants` against `capacity`."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    image_urls: fields.Field[list[str]] = fields.JSONField(default=list)
    audience: fields.ForeignKeyNullableRelation[Audience] = fields.ForeignKeyField(
        "pointsmall.Audience", related_name="campaigns", null=True, on_delete=fields.RESTRICT
    )
    audience_id: int | None
    preheat_at = fields.DatetimeField(null=True)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField(null=True)  # participants at most; null: no limit
    participants = fields.IntField(default=0)
    budget_points = fields.BigIntField(null=True)  # null: no limit
    budget_spent = fields.BigIntField(default=0)
    enrolment = fields.CharEnumField(Enrolment, max_length=16)
    form_fields: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    mechanics: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    variants: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    state = fields.CharEnumField(CampaignState, max_length=16, default=CampaignState.DRAFT)
    ended_at = fields.DatetimeField(null=True)  # when an admin ended it early
    settled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "campaign"


class CampaignChange(Model):
    """A campaign moved in its life: who moved it (or the clock), and why."""

    id = fields.BigIntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "pointsmall.Campaign", related_name="changes", on_delete=fields.RESTRICT
    )
    campaign_id: int
    previous = fields.CharEnumField(CampaignStatus, max_length=16)
    status = fields.CharEnumField(CampaignStatus, max_length=16)
    actor = fields.CharField(max_length=64)
    reason = fields.CharField(max_length=500, null=True)
    changed_at = fields.DatetimeField()

    class Meta:
        table = "campaign_change"
        indexes = (("campaign_id", "id"),)


class Participant(Model):
    """A user taking part: enrolled (or in the audience of an automatic campaign, from
    their first action in it), their variant, their score in a ranking, what they got."""

    id = fields.BigIntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "pointsmall.Campaign", related_name="participants_rows", on_delete=fields.RESTRICT
    )
    campaign_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="campaigns", on_delete=fields.RESTRICT
    )
    account_id: int
    enrolled = fields.BooleanField(default=False)
    form: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    variant = fields.CharField(max_length=64, null=True)
    joined_at = fields.DatetimeField()
    score = fields.BigIntField(default=0)
    scored_at = fields.DatetimeField(null=True)  # when the score last rose: ties, first wins
    points = fields.BigIntField(default=0)  # charged to the budget for this user
    bonuses: fields.Field[list[str]] = fields.JSONField(default=list)  # paid, by trigger
    prize_points = fields.BigIntField(null=True)  # paid at settlement
    prize_rank = fields.IntField(null=True)
    prize_coupon = fields.CharField(max_length=128, null=True)  # a partner code won

    class Meta:
        table = "campaign_participant"
        unique_together = (("campaign", "account"),)
        indexes = (("campaign_id", "score"),)
