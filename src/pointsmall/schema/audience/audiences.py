"""Audiences as ops see them: a named rule, its input as a typed tree, a preview."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from pointsmall.schema.audience.segments import RfmSegment, Segment
from pointsmall.schema.errors import UserError
from pointsmall.schema.ledger.accounts import Account

if TYPE_CHECKING:
    from pointsmall.models import Audience as AudienceModel


@strawberry.input(description="Scores from `min` to `max` (1 to 5; either may be left out).")
class ScoreRangeInput:
    min: int | None = None
    max: int | None = None


@strawberry.input(description="Ranges of RFM scores, all of which must hold.")
class RfmScoreInput:
    recency: ScoreRangeInput | None = None
    frequency: ScoreRangeInput | None = None
    monetary: ScoreRangeInput | None = None


@strawberry.input(description="At least `atLeast` within the last `withinDays` days.")
class WithinDaysInput:
    at_least: int
    within_days: int


@strawberry.input(description="A custom attribute the shop sent in upsertUser equals a value.")
class AttributeInput:
    name: str
    value: str


@strawberry.input(
    one_of=True,
    description="Who belongs: exactly one of `all`, `any`, `not` or a condition. Paid "
    "orders count while not wholly refunded; amounts are in minor units (cents); the "
    "balance counts spendable and pending points less those on hold.",
)
class AudienceRuleInput:
    all: list[AudienceRuleInput] | None = strawberry.UNSET
    any: list[AudienceRuleInput] | None = strawberry.UNSET
    not_: AudienceRuleInput | None = strawberry.field(name="not", default=strawberry.UNSET)
    tag: str | None = strawberry.UNSET
    segment: list[Segment] | None = strawberry.UNSET
    rfm_segment: list[RfmSegment] | None = strawberry.UNSET
    rfm_score: RfmScoreInput | None = strawberry.UNSET
    tier_at_least: str | None = strawberry.field(
        default=strawberry.UNSET, description="A tier's name: that tier and above."
    )
    registered_within_days: int | None = strawberry.UNSET
    paid_orders: WithinDaysInput | None = strawberry.UNSET
    spent: WithinDaysInput | None = strawberry.UNSET
    balance_at_least: int | None = strawberry.UNSET
    time_zone: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="The user's IANA time zone is one of these."
    )
    attribute: AttributeInput | None = strawberry.UNSET


def rule_of(given: AudienceRuleInput) -> dict[str, Any]:
    """The input as the rule's JSON form (the domain checks it)."""
    if given.all:
        return {"all": [rule_of(part) for part in given.all]}
    if given.any:
        return {"any": [rule_of(part) for part in given.any]}
    if given.not_:
        return {"not": rule_of(given.not_)}
    if given.rfm_score:
        ranges = {
            name: {"min": bounds.min, "max": bounds.max}
            for name in ("recency", "frequency", "monetary")
            if (bounds := getattr(given.rfm_score, name)) is not None
        }
        return {"rfmScore": ranges}
    for name, key in (("paid_orders", "paidOrders"), ("spent", "spent")):
        window = getattr(given, name)
        if window:
            return {key: {"atLeast": window.at_least, "withinDays": window.within_days}}
    if given.attribute:
        return {"attribute": {"name": given.attribute.name, "value": given.attribute.value}}
    for name, key in (
        ("tag", "tag"),
        ("segment", "segment"),
        ("rfm_segment", "rfmSegment"),
        ("tier_at_least", "tierAtLeast"),
        ("registered_within_days", "registeredWithinDays"),
        ("balance_at_least", "balanceAtLeast"),
        ("time_zone", "timeZone"),
    ):
        value = getattr(given, name)
        if value is not None and value is not strawberry.UNSET:
            return {key: [item.value for item in value] if name.endswith("segment") else value}
    return {}


@strawberry.type(description="A group of users defined by a rule, for items and tasks (admin).")
class Audience(relay.Node):
    id: relay.NodeID[int]
    name: str
    description: str
    rule: JSON = strawberry.field(
        description="The rule, in the shape of AudienceRuleInput (lists sorted)."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, audience: AudienceModel) -> Self:
        return cls(
            id=audience.id,
            name=audience.name,
            description=audience.description,
            rule=cast(JSON, audience.rule),
            created_at=audience.created_at,
            updated_at=audience.updated_at,
        )


@strawberry.type(description="Who a rule holds for now.")
class AudiencePreview:
    size: int
    sample: list[Account] = strawberry.field(description="The first users, by account.")


@strawberry.input
class CreateAudienceInput:
    name: str
    rule: AudienceRuleInput
    description: str = ""


@strawberry.input(description="Fields left out are kept.")
class UpdateAudienceInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    rule: AudienceRuleInput | None = strawberry.UNSET


@strawberry.type
class CreateAudiencePayload:
    audience: Audience | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateAudiencePayload:
    audience: Audience | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
