"""Who the users are: their lifecycle segment, and its changes over time."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

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


class SegmentChange(Model):
    """A user moved from one lifecycle segment to another."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="segment_changes", on_delete=fields.RESTRICT
    )
    account_id: int
    previous = fields.CharEnumField(Segment, max_length=16)
    segment = fields.CharEnumField(Segment, max_length=16)
    changed_at = fields.DatetimeField()

    class Meta:
        table = "audience_segment_change"
        indexes = (("changed_at", "id"), ("account_id", "id"))
