"""campaigns, campaign; create/update/publish/pause/resume/end/cancel/clone/settle
(admin); joinCampaign and me.campaigns (user)."""

from __future__ import annotations

from typing import Any

import strawberry

from pointsmall import access, clock
from pointsmall.auth import Role
from pointsmall.domain.campaigns import lifecycle, participation, settlement
from pointsmall.domain.campaigns.lifecycle import CampaignFields, status_of
from pointsmall.domain.errors import DomainError
from pointsmall.models import Campaign as CampaignModel
from pointsmall.models import CampaignStatus
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.campaigns.campaigns import (
    Campaign,
    CampaignActionInput,
    CampaignPayload,
    CreateCampaignInput,
    JoinCampaignInput,
    JoinCampaignPayload,
    MechanicInput,
    MyCampaign,
    SettleCampaignPayload,
    UpdateCampaignInput,
)
from pointsmall.schema.context import Info
from pointsmall.schema.errors import user_error
from pointsmall.schema.node import id_of, optional_id_of


def _campaign_id(value: strawberry.ID) -> int:
    return id_of(value, "campaignId", "Campaign")


def mechanic_of(given: MechanicInput) -> dict[str, Any]:
    if given.earn_multiplier:
        m = given.earn_multiplier
        return {"kind": "EARN_MULTIPLIER", "percent": m.percent, "categories": m.categories}
    if given.spend_discount:
        d = given.spend_discount
        return {"kind": "SPEND_DISCOUNT", "percent": d.percent, "categories": d.categories}
    if given.bonus:
        b = given.bonus
        return {"kind": "BONUS", "trigger": b.trigger.value, "count": b.count, "points": b.points}
    if given.ranking:
        prizes = [
            {
                "fromRank": p.from_rank,
                "toRank": p.to_rank,
                "points": p.points,
                "couponItemId": optional_id_of(p.coupon_item_id, "couponItemId", "Item"),
            }
            for p in given.ranking.prizes
        ]
        return {"kind": "RANKING", "metric": given.ranking.metric.value, "prizes": prizes}
    if given.check_in_rewards:
        return {"kind": "CHECK_IN_REWARDS", "rewards": given.check_in_rewards.rewards}
    return {}


def _fields(data: CreateCampaignInput) -> CampaignFields:
    return CampaignFields(
        name=data.name,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        description=data.description,
        image_urls=data.image_urls,
        audience_id=optional_id_of(data.audience_id, "audienceId", "Audience"),
        preheat_at=data.preheat_at,
        capacity=data.capacity,
        budget_points=data.budget_points,
        enrolment=data.enrolment,
        form_fields=[
            {"name": f.name, "kind": f.kind.value, "required": f.required, "choices": f.choices}
            for f in data.form_fields
        ],
        mechanics=[mechanic_of(m) for m in data.mechanics],
        variants=[
            {
                "name": v.name,
                "weight": v.weight,
                "checkInReward": {"min": v.check_in_reward.min, "max": v.check_in_reward.max}
                if v.check_in_reward
                else None,
            }
            for v in data.variants
        ],
    )


def shown(campaign: CampaignModel) -> Campaign:
    return Campaign.from_model(campaign, clock.now())


async def create_campaign(info: Info, input: CreateCampaignInput) -> CampaignPayload:
    access.require(info, Role.ADMIN)

    async def work() -> CampaignPayload:
        made = await lifecycle.create_campaign(_fields(input), info.context.actor(Role.ADMIN))
        return CampaignPayload(campaign=shown(made))

    return await mutate(info, CampaignPayload, work)


async def update_campaign(info: Info, input: UpdateCampaignInput) -> CampaignPayload:
    access.require(info, Role.ADMIN)

    async def work() -> CampaignPayload:
        changes: dict[str, Any] = {}
        for name in ("name", "description", "image_urls", "starts_at", "ends_at", "preheat_at",
                     "capacity", "budget_points"):  # fmt: skip
            value = getattr(input, name)
            if value is not strawberry.UNSET:
                changes[name] = value
        if input.mechanics is not strawberry.UNSET:
            changes["mechanics"] = [mechanic_of(m) for m in input.mechanics or []]
        updated = await lifecycle.update_campaign(_campaign_id(input.campaign_id), changes)
        return CampaignPayload(campaign=shown(updated))

    return await mutate(info, CampaignPayload, work)


def _action(action: str) -> Any:
    async def resolve(info: Info, input: CampaignActionInput) -> CampaignPayload:
        access.require(info, Role.ADMIN)

        async def work() -> CampaignPayload:
            moved = await lifecycle.act(
                _campaign_id(input.campaign_id),
                action,
                info.context.actor(Role.ADMIN),
                input.reason,
            )
            return CampaignPayload(campaign=shown(moved))

        return await mutate(info, CampaignPayload, work)

    resolve.__name__ = f"{action}_campaign"
    return resolve


publish_campaign = _action("publish")
pause_campaign = _action("pause")
resume_campaign = _action("resume")
end_campaign = _action("end")
cancel_campaign = _action("cancel")


async def clone_campaign(info: Info, input: CampaignActionInput) -> CampaignPayload:
    access.require(info, Role.ADMIN)

    async def work() -> CampaignPayload:
        copy = await lifecycle.clone_campaign(
            _campaign_id(input.campaign_id), info.context.actor(Role.ADMIN)
        )
        return CampaignPayload(campaign=shown(copy))

    return await mutate(info, CampaignPayload, work)


async def settle_campaign(info: Info, input: CampaignActionInput) -> SettleCampaignPayload:
    access.require(info, Role.ADMIN)

    async def work() -> SettleCampaignPayload:
        settled = await settlement.settle(
            _campaign_id(input.campaign_id),
            info.context.actor(Role.ADMIN),
            info.context.runtime.rules,
            clock.now(),
        )
        return SettleCampaignPayload(campaign=shown(settled.campaign), prizes_paid=settled.prizes)

    return await mutate(info, SettleCampaignPayload, work)


async def campaigns(info: Info, status: CampaignStatus | None = None) -> list[Campaign]:
    """Every campaign, newest first, or those in one status (admin)."""
    access.require(info, Role.ADMIN)
    now = clock.now()
    found = await CampaignModel.all().order_by("-id")
    return [
        Campaign.from_model(c, now) for c in found if status is None or status_of(c, now) == status
    ]


async def campaign(info: Info, id: strawberry.ID) -> Campaign | None:
    """One campaign: any for admins; for a user, one shown to them (preheating or live, in
    their audience)."""
    campaign_id = _campaign_id(id)
    found = await CampaignModel.get_or_none(id=campaign_id)
    if found is None:
        return None
    if access.is_admin(info):
        return shown(found)
    account = await access.viewer_account(info)
    shown_to_user = await info.context.loaders.campaigns.shown.load(account.id)
    now = clock.now()
    return next(
        (Campaign.from_model(c, now) for c, _ in shown_to_user if c.id == campaign_id), None
    )


async def join_campaign(info: Info, input: JoinCampaignInput) -> JoinCampaignPayload:
    account = await access.viewer_account(info)
    rules = info.context.runtime.rules
    now = clock.now()
    answers = {answer.name: answer.value for answer in input.form}
    try:
        campaign_id = _campaign_id(input.campaign_id)
        found = await lifecycle.get_campaign(campaign_id)
        problems = await participation.join_problems(found, account, answers, now, rules)
        if problems:
            return JoinCampaignPayload(errors=[user_error(problem) for problem in problems])
        joined = await participation.join_campaign(campaign_id, account, answers, now, rules)
    except DomainError as error:
        return JoinCampaignPayload(errors=[user_error(error)])
    info.context.forget_loaded()
    refreshed = await CampaignModel.get(id=campaign_id)
    return JoinCampaignPayload(
        participation=MyCampaign.of(Campaign.from_model(refreshed, now), joined, None, now)
    )
