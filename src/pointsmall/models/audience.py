"""Who the users are: segments and tiers, their changes, audiences, lifecycle gifts."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from pointsmall.models.ledger import Account


class Segment(enum.StrEnum):
    """Where a user is in their life with the shop (see `domain.audience.lifecycle`)."""

    NEW = "NEW"
    ACTIVE = "ACTIVE"
    REGULAR = "REGULAR"
    DORMANT = "DORMANT"
    CHURNED = "CHURNED"


class RfmSegment(enum.StrEnum):
    """What recency, frequency and monetary scores say (see `domain.audience.rfm`)."""

    CHAMPIONS = "CHAMPIONS"
    LOYAL = "LOYAL"
    POTENTIAL = "POTENTIAL"
    NEW_CUSTOMERS = "NEW_CUSTOMERS"
    AT_RISK = "AT_RISK"
    HIBERNATING = "HIBERNATING"
    LOST = "LOST"


class Dimension(enum.StrEnum):
    """What a recorded move is between: lifecycle segments, RFM segments or tiers."""

    LIFECYCLE = "LIFECYCLE"
    RFM = "RFM"
    TIER = "TIER"


NONE = "NONE"  # a move's `previous` when there was none (a first RFM segment)


class SegmentChange(Model):
    """A user moved from one segment (or tier) to another."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="segment_changes", on_delete=fields.RESTRICT
    )
    account_id: int
    dimension = fields.CharEnumField(
        Dimension, max_length=16, default=Dimension.LIFECYCLE, db_default="LIFECYCLE"
    )
    previous = fields.CharField(max_length=64)
    segment = fields.CharField(max_length=64)
    changed_at = fields.DatetimeField()

    class Meta:
        table = "audience_segment_change"
        indexes = (("changed_at", "id"), ("account_id", "id"))


class Audience(Model):
    """A group of users defined by a rule (see `domain.audience.rules`), for items, tasks
    and campaigns."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=120, unique=True)
    description = fields.TextField(default="")
    rule: fields.Field[dict[str, Any]] = fields.JSONField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "audience"


class Gift(Model):
    """A lifecycle gift given: once per user and occasion (`welcome`, `wake-up:<move id>`,
    `birthday:<year>`), the database's unique key the last guard."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="gifts", on_delete=fields.RESTRICT
    )
    account_id: int
    occasion = fields.CharField(max_length=64)
    points = fields.BigIntField()
    coupon_code = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "audience_gift"
        unique_together = (("account", "occasion"),)
