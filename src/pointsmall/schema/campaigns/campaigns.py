"""Campaigns as ops and users see them; their inputs and payloads."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from pointsmall import access
from pointsmall.domain.campaigns.figures import Rate
from pointsmall.domain.campaigns.lifecycle import status_of
from pointsmall.models import CampaignStatus, Enrolment
from pointsmall.schema.context import Info
from pointsmall.schema.errors import UserError
from pointsmall.schema.node import global_id

if TYPE_CHECKING:
    from pointsmall.models import Campaign as CampaignModel
    from pointsmall.models import Participant

strawberry.enum(
    CampaignStatus,
    description="DRAFT -> SCHEDULED -> PREHEAT (visible, counting down) -> LIVE -> ENDED -> "
    "SETTLED; PAUSED and CANCELLED by admins.",
)
strawberry.enum(Enrolment, description="AUTOMATIC: the whole audience. REQUIRED: users join.")


@strawberry.enum(description="What a BONUS waits for, within the campaign's window.")
class BonusTrigger(enum.StrEnum):
    FIRST_ORDER = "FIRST_ORDER"
    ORDERS = "ORDERS"
    CHECK_INS = "CHECK_INS"


@strawberry.enum(description="What a RANKING ranks, within the campaign's window.")
class RankingMetric(enum.StrEnum):
    POINTS_EARNED = "POINTS_EARNED"
    ORDERS = "ORDERS"
    CHECK_INS = "CHECK_INS"


@strawberry.enum
class FormFieldKind(enum.StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    CHOICE = "CHOICE"


@strawberry.input(description="Percent of the usual points (200: double), in these categories.")
class EarnMultiplierInput:
    percent: int
    categories: list[str] = strawberry.field(default_factory=list, description="[]: all.")


@strawberry.input(description="Items cost this percent fewer points, in these categories.")
class SpendDiscountInput:
    percent: int
    categories: list[str] = strawberry.field(default_factory=list, description="[]: all.")


@strawberry.input(description="Fixed points once per user when the trigger is reached.")
class BonusInput:
    trigger: BonusTrigger
    points: int
    count: int = 1


@strawberry.input(description="A prize for the ranks from one to another: points, a coupon.")
class PrizeInput:
    from_rank: int
    to_rank: int
    points: int = 0
    coupon_item_id: strawberry.ID | None = strawberry.field(
        default=None, description="A COUPON item: a code from its pool for each winner."
    )


@strawberry.input(description="A ranking of the metric; prizes paid once at settlement.")
class RankingInput:
    metric: RankingMetric
    prizes: list[PrizeInput]


@strawberry.input(description="The check-in schedule for participants during the window.")
class CheckInRewardsInput:
    rewards: list[int]


@strawberry.input(one_of=True, description="One mechanic: exactly one of these.")
class MechanicInput:
    earn_multiplier: EarnMultiplierInput | None = strawberry.UNSET
    spend_discount: SpendDiscountInput | None = strawberry.UNSET
    bonus: BonusInput | None = strawberry.UNSET
    ranking: RankingInput | None = strawberry.UNSET
    check_in_rewards: CheckInRewardsInput | None = strawberry.UNSET


@strawberry.input
class FormFieldInput:
    name: str
    kind: FormFieldKind
    required: bool = False
    choices: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="A check-in reward from min to max (equal: fixed).")
class RewardRangeInput:
    min: int
    max: int


@strawberry.input(description="An A/B variant: assigned by weight, stable per user.")
class VariantInput:
    name: str
    weight: int = 1
    check_in_reward: RewardRangeInput | None = None


@strawberry.input
class CreateCampaignInput:
    name: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    image_urls: list[str] = strawberry.field(default_factory=list)
    audience_id: strawberry.ID | None = None
    preheat_at: datetime | None = None
    capacity: int | None = None
    budget_points: int | None = None
    enrolment: Enrolment = Enrolment.AUTOMATIC
    form_fields: list[FormFieldInput] = strawberry.field(default_factory=list)
    mechanics: list[MechanicInput] = strawberry.field(default_factory=list)
    variants: list[VariantInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Change a campaign: fields left out stay as they are.")
class UpdateCampaignInput:
    campaign_id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    image_urls: list[str] | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.UNSET
    ends_at: datetime | None = strawberry.UNSET
    preheat_at: datetime | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET
    budget_points: int | None = strawberry.UNSET
    mechanics: list[MechanicInput] | None = strawberry.UNSET


@strawberry.input
class CampaignActionInput:
    campaign_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class FormAnswerInput:
    name: str
    value: str


@strawberry.input
class JoinCampaignInput:
    campaign_id: strawberry.ID
    form: list[FormAnswerInput] = strawberry.field(default_factory=list)


@strawberry.type(description="A campaign's figures, live and at settlement (admin).")
class CampaignFigures:
    participants: int
    enrolments: int
    points_issued: int = strawberry.field(description="Everything it paid, prizes included.")
    budget_left: int | None
    prizes_paid: int
    redemptions: int = strawberry.field(description="By participants, within the window.")
    orders: int = strawberry.field(description="Attributed: by participants, in the window.")
    order_value: int = strawberry.field(description="Of those orders, net of refunds (cents).")
    cost_per_participant: float | None
    cost_per_order: float | None


@strawberry.type(description="A rate with its 95% confidence interval (Wilson).")
class RateWithInterval:
    value: float
    low: float
    high: float
    of: int

    @classmethod
    def of_rate(cls, rate: Rate) -> RateWithInterval:
        low, high = rate.interval()
        return cls(value=rate.value, low=low, high=high, of=rate.of)


@strawberry.type
class VariantFigures:
    name: str
    users: int
    conversion: RateWithInterval = strawberry.field(description="Checked in in the window.")
    retention_d1: RateWithInterval
    retention_d7: RateWithInterval
    points_issued: int
    redemptions: int


@strawberry.type(description="A variant against the control (the first), on 7-day retention.")
class VariantComparison:
    variant: str
    lift: float | None = strawberry.field(description="Relative change: 0.1 is 10% better.")
    p_value: float | None = strawberry.field(description="Two-sided two-proportion z-test.")
    significant: bool = strawberry.field(description="p < 0.05.")


@strawberry.type(description="An A/B test's results per variant (admin).")
class Experiment:
    variants: list[VariantFigures]
    comparisons: list[VariantComparison]


@strawberry.type(description="A place in a campaign's ranking: nickname and score only.")
class CampaignRankingEntry:
    rank: int
    nickname: str
    score: int


@strawberry.type(description="A move in a campaign's life: by an admin, or by the clock.")
class CampaignMove:
    previous: CampaignStatus
    status: CampaignStatus
    actor: str = strawberry.field(description="The admin's user id, or clock, or system.")
    reason: str | None
    changed_at: datetime


@strawberry.type(description="A campaign: an activity with a window, an audience and mechanics.")
class Campaign(relay.Node):
    id: relay.NodeID[int]
    name: str
    description: str
    image_urls: list[str]
    status: CampaignStatus
    preheat_at: datetime | None
    starts_at: datetime
    ends_at: datetime
    enrolment: Enrolment
    capacity: int | None
    participants: int
    budget_points: int | None
    budget_spent: int
    budget_exhausted: bool = strawberry.field(description="It pays no more: its budget is spent.")
    audience_id: strawberry.ID | None
    mechanics: JSON = strawberry.field(description="In the shape of MechanicInput's choices.")
    form_fields: JSON
    variants: JSON

    @classmethod
    def from_model(cls, campaign: CampaignModel, now: datetime) -> Self:
        return cls(
            id=campaign.id,
            name=campaign.name,
            description=campaign.description,
            image_urls=list(campaign.image_urls),
            status=status_of(campaign, now),
            preheat_at=campaign.preheat_at,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            enrolment=campaign.enrolment,
            capacity=campaign.capacity,
            participants=campaign.participants,
            budget_points=campaign.budget_points,
            budget_spent=campaign.budget_spent,
            budget_exhausted=campaign.budget_points is not None
            and campaign.budget_spent >= campaign.budget_points,
            audience_id=global_id("Audience", campaign.audience_id),
            mechanics=cast(JSON, campaign.mechanics),
            form_fields=cast(JSON, campaign.form_fields),
            variants=cast(JSON, campaign.variants),
        )

    @strawberry.field(description="The ranking's top (nicknames and scores only).")
    async def ranking(self, info: Info, first: int = 10) -> list[CampaignRankingEntry]:
        leaders = await info.context.loaders.campaigns.leaders.load((self.id, min(first, 100)))
        return [
            CampaignRankingEntry(
                rank=place, nickname=leader.account.nickname or "anonymous", score=leader.score
            )
            for place, leader in enumerate(leaders, start=1)
        ]

    @strawberry.field(description="Participants, points issued, budget, attributed orders (admin).")
    async def figures(self, info: Info) -> CampaignFigures:
        access.require_admin(info, "a campaign's figures")
        found = await info.context.loaders.campaigns.figures.load(self.id)
        return CampaignFigures(
            participants=found.participants,
            enrolments=found.enrolments,
            points_issued=found.points_issued,
            budget_left=found.budget_left,
            prizes_paid=found.prizes_paid,
            redemptions=found.redemptions,
            orders=found.orders,
            order_value=found.order_value,
            cost_per_participant=found.cost_per_participant,
            cost_per_order=found.cost_per_order,
        )

    @strawberry.field(description="Every move in its life, oldest first (admin).")
    async def history(self, info: Info) -> list[CampaignMove]:
        access.require_admin(info, "a campaign's history")
        return [
            CampaignMove(
                previous=change.previous,
                status=change.status,
                actor=change.actor,
                reason=change.reason,
                changed_at=change.changed_at,
            )
            for change in await info.context.loaders.campaigns.history.load(self.id)
        ]

    @strawberry.field(description="The A/B test's results (admin); null without variants.")
    async def experiment(self, info: Info) -> Experiment | None:
        access.require_admin(info, "an experiment's results")
        results, comparisons = await info.context.loaders.campaigns.experiment.load(self.id)
        if not results:
            return None
        return Experiment(
            variants=[
                VariantFigures(
                    name=result.name,
                    users=result.users,
                    conversion=RateWithInterval.of_rate(result.conversion),
                    retention_d1=RateWithInterval.of_rate(result.retention_d1),
                    retention_d7=RateWithInterval.of_rate(result.retention_d7),
                    points_issued=result.points_issued,
                    redemptions=result.redemptions,
                )
                for result in results
            ],
            comparisons=[
                VariantComparison(
                    variant=comparison.variant,
                    lift=comparison.lift,
                    p_value=comparison.p_value,
                    significant=comparison.p_value is not None and comparison.p_value < 0.05,
                )
                for comparison in comparisons
            ],
        )


@strawberry.type(description="A campaign as the user takes part in it.")
class MyCampaign:
    campaign: Campaign
    enrolled: bool
    progress: int = strawberry.field(description="The user's score in the campaign's ranking.")
    rank: int | None = strawberry.field(description="Null: no ranking, or no score yet.")
    starts_in: int | None = strawberry.field(description="Seconds to the start (null: started).")
    points: int = strawberry.field(description="What the campaign paid the user so far.")

    @classmethod
    def of(
        cls, campaign: Campaign, participant: Participant | None, rank: int | None, now: datetime
    ) -> MyCampaign:
        return cls(
            campaign=campaign,
            enrolled=participant is not None and participant.enrolled,
            progress=participant.score if participant else 0,
            rank=rank,
            starts_in=max(0, int((campaign.starts_at - now).total_seconds()))
            if campaign.starts_at > now
            else None,
            points=participant.points if participant else 0,
        )


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class JoinCampaignPayload:
    participation: MyCampaign | None = None
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Every condition not met, each with its code."
    )


@strawberry.type
class SettleCampaignPayload:
    campaign: Campaign | None = None
    prizes_paid: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)
