"""A campaign's life: drafted, published, paused and resumed, ended, settled, cancelled by
admins; scheduled, preheating, live and ended by the clock.

Admins' moves are checked against the status now and recorded (`CampaignChange`) in the
same transaction, the campaign row locked; the clock's are recorded by the campaigns job
as it sees them (`record_clock_moves`), which also tells participants a campaign starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.audience.audiences import existing_audience
from pointsmall.domain.campaigns import definitions
from pointsmall.domain.errors import InvalidState, InvalidValue, NotFound
from pointsmall.models import (
    Campaign,
    CampaignChange,
    CampaignState,
    CampaignStatus,
    Enrolment,
    Item,
    ItemKind,
)

SNAPSHOT_SECONDS = 5.0
MAX_LENGTH = timedelta(days=366)


def status_of(campaign: Campaign, now: datetime) -> CampaignStatus:
    match campaign.state:
        case CampaignState.DRAFT:
            return CampaignStatus.DRAFT
        case CampaignState.PAUSED:
            return CampaignStatus.PAUSED
        case CampaignState.CANCELLED:
            return CampaignStatus.CANCELLED
        case CampaignState.SETTLED:
            return CampaignStatus.SETTLED
        case CampaignState.ENDED:
            return CampaignStatus.ENDED
    if now >= campaign.ends_at:
        return CampaignStatus.ENDED
    if now >= campaign.starts_at:
        return CampaignStatus.LIVE
    if campaign.preheat_at is not None and now >= campaign.preheat_at:
        return CampaignStatus.PREHEAT
    return CampaignStatus.SCHEDULED


@dataclass
class CampaignFields:
    """What admins say about a campaign; on update, only the fields named move."""

    name: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    image_urls: list[str] = field(default_factory=list)
    audience_id: int | None = None
    preheat_at: datetime | None = None
    capacity: int | None = None
    budget_points: int | None = None
    enrolment: Enrolment = Enrolment.AUTOMATIC
    form_fields: list[dict[str, Any]] = field(default_factory=list)
    mechanics: list[dict[str, Any]] = field(default_factory=list)
    variants: list[dict[str, Any]] = field(default_factory=list)


def _checked(fields: CampaignFields) -> dict[str, Any]:
    name = validation.text(fields.name, "name", 120, required=True)
    starts = validation.moment(fields.starts_at, "startsAt")
    ends = validation.moment(fields.ends_at, "endsAt")
    preheat = validation.moment(fields.preheat_at, "preheatAt")
    assert starts is not None and ends is not None
    if ends <= starts:
        raise InvalidValue("endsAt must be after startsAt", field="endsAt")
    if ends - starts > MAX_LENGTH:
        raise InvalidValue("a campaign lasts at most a year", field="endsAt")
    if preheat is not None and preheat >= starts:
        raise InvalidValue("preheatAt must be before startsAt", field="preheatAt")
    if fields.capacity is not None:
        validation.whole_number(fields.capacity, "capacity", 1, 100_000_000)
    if fields.budget_points is not None:
        validation.whole_number(fields.budget_points, "budgetPoints", 1, 10**12)
    if len(fields.image_urls) > 10 or not all(
        url.startswith(("https://", "http://")) and len(url) <= 500 for url in fields.image_urls
    ):
        raise InvalidValue("imageUrls: at most 10 http(s) URLs", field="imageUrls")
    form = definitions.checked_form_fields(fields.form_fields)
    if form and fields.enrolment != Enrolment.REQUIRED:
        raise InvalidValue("a sign-up form needs enrolment REQUIRED", field="formFields")
    return {
        "name": name,
        "description": validation.text(fields.description, "description", 5_000) or "",
        "image_urls": list(fields.image_urls),
        "audience_id": fields.audience_id,
        "preheat_at": preheat,
        "starts_at": starts,
        "ends_at": ends,
        "capacity": fields.capacity,
        "budget_points": fields.budget_points,
        "enrolment": fields.enrolment,
        "form_fields": form,
        "mechanics": definitions.checked_mechanics(fields.mechanics),
        "variants": definitions.checked_variants(fields.variants),
    }


async def _check_references(values: dict[str, Any]) -> None:
    """The audience and the prizes' coupon items exist (and are COUPON items)."""
    await existing_audience(values["audience_id"])
    wanted = definitions.coupon_items(values["mechanics"])
    found = set(
        await Item.filter(id__in=list(wanted), kind=ItemKind.COUPON).values_list("id", flat=True)
    )
    if wanted - found:
        raise InvalidValue("a prize's couponItemId names no COUPON item", field="mechanics")


async def create_campaign(fields: CampaignFields, actor: Actor) -> Campaign:
    values = _checked(fields)
    await _check_references(values)
    now = clock.now()
    async with events.atomic():
        campaign = await Campaign.create(**values, created_at=now, updated_at=now)
        await record_change(
            campaign, CampaignStatus.DRAFT, CampaignStatus.DRAFT, actor.user_id, "created", now
        )
    return campaign


def fields_of(campaign: Campaign) -> CampaignFields:
    return CampaignFields(
        name=campaign.name,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        description=campaign.description,
        image_urls=list(campaign.image_urls),
        audience_id=campaign.audience_id,
        preheat_at=campaign.preheat_at,
        capacity=campaign.capacity,
        budget_points=campaign.budget_points,
        enrolment=campaign.enrolment,
        form_fields=list(campaign.form_fields),
        mechanics=list(campaign.mechanics),
        variants=list(campaign.variants),
    )


# What may change once the campaign started: words and pictures, and more budget/capacity.
CHANGEABLE_WHEN_LIVE = {"name", "description", "image_urls", "budget_points", "capacity"}


async def update_campaign(campaign_id: int, changes: dict[str, Any]) -> Campaign:
    async with events.atomic():
        campaign = await locked_campaign(campaign_id)
        status = status_of(campaign, clock.now())
        if status in (CampaignStatus.ENDED, CampaignStatus.SETTLED, CampaignStatus.CANCELLED):
            raise InvalidState(f"a {status.value} campaign cannot change")
        if (
            status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
            and not set(changes) <= CHANGEABLE_WHEN_LIVE
        ):
            raise InvalidState(
                "once a campaign is under way only its words, pictures, budget and capacity change"
            )
        merged = fields_of(campaign)
        for name, value in changes.items():
            setattr(merged, name, value)
        values = _checked(merged)
        if values["budget_points"] is not None and values["budget_points"] < campaign.budget_spent:
            raise InvalidValue("the budget cannot go below what was paid", field="budgetPoints")
        await _check_references(values)
        await Campaign.filter(id=campaign_id).update(**values, updated_at=clock.now())
        events.after_commit(events.CampaignChanged(campaign_id))
    return await Campaign.get(id=campaign_id)


# admin action: (statuses it applies to, the state it sets)
ACTIONS: dict[str, tuple[set[CampaignStatus], CampaignState]] = {
    "publish": ({CampaignStatus.DRAFT}, CampaignState.PUBLISHED),
    "pause": (
        {CampaignStatus.SCHEDULED, CampaignStatus.PREHEAT, CampaignStatus.LIVE},
        CampaignState.PAUSED,
    ),
    "resume": ({CampaignStatus.PAUSED}, CampaignState.PUBLISHED),
    "end": ({CampaignStatus.LIVE, CampaignStatus.PAUSED}, CampaignState.ENDED),
    "cancel": (
        {CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.PREHEAT},
        CampaignState.CANCELLED,
    ),
}


async def act(campaign_id: int, action: str, actor: Actor, reason: str | None = None) -> Campaign:
    """An admin moves the campaign in its life (publish, pause, resume, end, cancel)."""
    allowed, state = ACTIONS[action]
    reason = validation.reason(reason)
    now = clock.now()
    async with events.atomic():
        campaign = await locked_campaign(campaign_id)
        before = status_of(campaign, now)
        if before not in allowed:
            raise InvalidState(f"a {before.value} campaign cannot {action}")
        if action == "publish" and campaign.ends_at <= now:
            raise InvalidState("this campaign's window is over: change its dates first")
        values: dict[str, Any] = {"state": state, "updated_at": now}
        if action == "end":
            values["ended_at"] = now
        await Campaign.filter(id=campaign_id).update(**values)
        campaign.state = state
        after = status_of(campaign, now)
        await record_change(campaign, before, after, actor.user_id, reason or action, now)
        events.after_commit(events.CampaignChanged(campaign_id))
    return await Campaign.get(id=campaign_id)


async def clone_campaign(campaign_id: int, actor: Actor) -> Campaign:
    """A copy as a new draft: the same mechanics, audience and form (a template)."""
    original = await get_campaign(campaign_id)
    copy = fields_of(original)
    copy.name = f"{original.name} (copy)"[:120]
    return await create_campaign(copy, actor)


async def get_campaign(campaign_id: int) -> Campaign:
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None:
        raise NotFound("no such campaign", field="campaignId")
    return campaign


async def locked_campaign(campaign_id: int) -> Campaign:
    campaign = await Campaign.select_for_update(no_key=True).get_or_none(id=campaign_id)
    if campaign is None:
        raise NotFound("no such campaign", field="campaignId")
    return campaign


async def record_change(
    campaign: Campaign,
    previous: CampaignStatus,
    status: CampaignStatus,
    actor: str,
    reason: str | None,
    now: datetime,
) -> None:
    await CampaignChange.create(
        campaign_id=campaign.id,
        previous=previous,
        status=status,
        actor=actor,
        reason=reason,
        changed_at=now,
    )


async def record_clock_moves(now: datetime) -> list[tuple[Campaign, CampaignStatus]]:
    """Record the moves the clock made since the last look (SCHEDULED -> PREHEAT -> LIVE ->
    ENDED) for published campaigns; returns (campaign, status reached) of each."""
    moved = []
    for campaign in await Campaign.filter(state=CampaignState.PUBLISHED):
        async with events.atomic():
            locked = await locked_campaign(campaign.id)
            status = status_of(locked, now)
            last = await CampaignChange.filter(campaign_id=campaign.id).order_by("-id").first()
            if locked.state != CampaignState.PUBLISHED or last is None or last.status == status:
                continue
            await record_change(locked, last.status, status, "clock", None, now)
            moved.append((locked, status))
    return moved


@dataclass
class _Snapshot:
    campaigns: list[Campaign] = field(default_factory=list)
    taken_at: float = -1e9


_snapshot = _Snapshot()


async def published_campaigns() -> list[Campaign]:
    """The published campaigns (time decides which are live), read at most every few
    seconds per process, and at once after an admin's change in this process."""
    if time.monotonic() - _snapshot.taken_at > SNAPSHOT_SECONDS:
        _snapshot.campaigns = await Campaign.filter(state=CampaignState.PUBLISHED).order_by("id")
        _snapshot.taken_at = time.monotonic()
    return _snapshot.campaigns


async def live_campaigns(now: datetime) -> list[Campaign]:
    return [c for c in await published_campaigns() if status_of(c, now) == CampaignStatus.LIVE]


async def next_change(now: datetime) -> datetime | None:
    """The next moment a published campaign preheats, starts or ends (prices and earnings
    change with no write then)."""
    moments = [
        moment
        for campaign in await published_campaigns()
        for moment in (campaign.preheat_at, campaign.starts_at, campaign.ends_at)
        if moment is not None and moment > now
    ]
    return min(moments, default=None)


def forget_campaigns() -> None:
    """The next look reads the campaigns again."""
    _snapshot.taken_at = -1e9


async def _on_event(event: events.Event) -> None:
    if isinstance(event, events.CampaignChanged):
        forget_campaigns()


events.listen(_on_event)
