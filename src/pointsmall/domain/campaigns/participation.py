"""Who takes part in a campaign, in which variant, and what the campaign pays them.

A user takes part in a campaign with automatic enrolment from their first action in it
while its audience holds them; in one that requires enrolment, once they joined
(`join_campaign`: the window, the audience, the capacity, the account's standing and the
form are each checked, and every condition that fails is said). Capacity and budget only
ever move by conditional updates, so neither is exceeded under any concurrency.

Variants: a hash of the campaign and the user id picks one by weight (stable, however
often asked), recorded with the participant at first exposure.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from pointsmall import sql
from pointsmall.domain import events
from pointsmall.domain.audience.audiences import is_member
from pointsmall.domain.campaigns import definitions
from pointsmall.domain.campaigns.lifecycle import get_campaign, status_of
from pointsmall.domain.errors import DomainError, ErrorCode, InvalidValue, NotEligible
from pointsmall.domain.ledger.accounts import lock_accounts
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.notifications import inbox
from pointsmall.domain.notifications.notices import CampaignStartingNotice
from pointsmall.domain.risk.checks import REFUSED, RiskRefused, active_ban
from pointsmall.models import (
    Account,
    BanScope,
    Campaign,
    CampaignState,
    CampaignStatus,
    Enrolment,
    Participant,
)


class CampaignFull(DomainError):
    code = ErrorCode.CAMPAIGN_FULL


class NotOpen(DomainError):
    code = ErrorCode.NOT_OPEN


def variant_of(campaign: Campaign, user_id: str) -> str | None:
    """The user's variant: the same answer for the same campaign and user, by weight."""
    if not campaign.variants:
        return None
    digest = hashlib.sha256(f"{campaign.id}:{user_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * sum(v["weight"] for v in campaign.variants)
    for variant in campaign.variants:
        point -= variant["weight"]
        if point < 0:
            return str(variant["name"])
    return str(campaign.variants[-1]["name"])


async def participant_of(
    campaign: Campaign, account: Account, now: datetime, rules: LedgerRules
) -> Participant | None:
    """The user's participation, recorded at first exposure for an automatic campaign whose
    audience holds them (None: they take no part)."""
    found = await Participant.get_or_none(campaign_id=campaign.id, account_id=account.id)
    if found is not None or campaign.enrolment == Enrolment.REQUIRED:
        return found
    if not await is_member(account, campaign.audience_id, now, rules):
        return None
    return await _add(campaign, account, now, enrolled=False, form={})


async def _add(
    campaign: Campaign, account: Account, now: datetime, *, enrolled: bool, form: dict[str, Any]
) -> Participant | None:
    """A new participant, if the capacity allows (None otherwise, or if one raced it in)."""
    try:
        async with events.atomic():
            if campaign.capacity is not None:
                taken = await Campaign.filter(
                    id=campaign.id, participants__lt=campaign.capacity
                ).update(participants=F("participants") + 1)
                if taken != 1:
                    return None
            else:
                await Campaign.filter(id=campaign.id).update(participants=F("participants") + 1)
            return await Participant.create(
                campaign_id=campaign.id,
                account_id=account.id,
                enrolled=enrolled,
                form=form,
                variant=variant_of(campaign, account.user_id),
                joined_at=now,
            )
    except IntegrityError:  # the same user, at once: the first one stands
        return await Participant.get_or_none(campaign_id=campaign.id, account_id=account.id)


async def join_campaign(
    campaign_id: int, account: Account, answers: dict[str, str], now: datetime, rules: LedgerRules
) -> Participant:
    """Enrol, or say every condition that is not met (the first raised, all in `problems`)."""
    campaign = await get_campaign(campaign_id)
    problems = await join_problems(campaign, account, answers, now, rules)
    if problems:
        raise problems[0]
    form = definitions.checked_answers(campaign.form_fields, answers)
    joined = await _add(campaign, account, now, enrolled=True, form=form)
    if joined is None:
        raise CampaignFull("this campaign is full")
    if not joined.enrolled:  # taking part automatically already: now enrolled too
        await Participant.filter(id=joined.id).update(enrolled=True, form=form)
        joined.enrolled = True
    return joined


async def join_problems(
    campaign: Campaign, account: Account, answers: dict[str, str], now: datetime, rules: LedgerRules
) -> list[DomainError]:
    problems: list[DomainError] = []
    status = status_of(campaign, now)
    if status not in (CampaignStatus.PREHEAT, CampaignStatus.LIVE):
        problems.append(NotOpen(f"this campaign is {status.value.lower()}: it takes no one now"))
    if await Participant.exists(campaign_id=campaign.id, account_id=account.id, enrolled=True):
        problems.append(InvalidValue("you have joined this campaign already", field="campaignId"))
    if not await is_member(account, campaign.audience_id, now, rules):
        problems.append(NotEligible("this campaign is for other members", field="campaignId"))
    if account.frozen or await active_ban(account.id, BanScope.JOIN, now) is not None:
        problems.append(RiskRefused(REFUSED))
    if campaign.capacity is not None and campaign.participants >= campaign.capacity:
        problems.append(CampaignFull("this campaign is full"))
    try:
        definitions.checked_answers(campaign.form_fields, answers)
    except InvalidValue as error:
        problems.append(error)
    return problems


def affordable(budget: int | None, spent: int, wanted: int) -> int:
    """Of `wanted` points, what a budget (None: no limit) with `spent` gone still pays."""
    return wanted if budget is None else max(0, min(wanted, int(budget) - spent))


async def charge(campaign_id: int, points: int) -> int:
    """Take up to `points` from the campaign's budget; returns what it granted (what is
    left, when less). In the caller's transaction, the campaign row locked to its end, so
    concurrent charges take turns and the budget is never exceeded."""
    if points <= 0:
        return 0
    lock = "" if sql.on_sqlite() else " FOR NO KEY UPDATE"
    rows = await sql.fetch(
        f'SELECT "budget_spent", "budget_points" FROM "campaign" WHERE "id" = $1{lock}',
        campaign_id,
    )
    granted = affordable(rows[0]["budget_points"], int(rows[0]["budget_spent"]), points)
    if granted:
        await sql.execute(
            'UPDATE "campaign" SET "budget_spent" = "budget_spent" + $2 WHERE "id" = $1',
            campaign_id,
            granted,
        )
    return granted


async def credit(participant: Participant, points: int) -> None:
    """What the campaign paid this participant (budget already charged)."""
    if points:
        await Participant.filter(id=participant.id).update(points=F("points") + points)


RECENT = timedelta(days=7)  # ended campaigns a participant still sees


async def shown_campaigns(
    account: Account, now: datetime, rules: LedgerRules
) -> list[tuple[Campaign, Participant | None]]:
    """The campaigns shown to the user: preheating or live ones their audience holds (or
    they joined), and ones they took part in that ended in the last week."""
    taking = {row.campaign_id: row for row in await Participant.filter(account_id=account.id)}
    shown = []
    for campaign in await Campaign.filter(
        state__in=[CampaignState.PUBLISHED, CampaignState.ENDED, CampaignState.SETTLED],
        ends_at__gt=now - RECENT,
    ).order_by("starts_at", "id"):
        participant = taking.get(campaign.id)
        status = status_of(campaign, now)
        if status in (CampaignStatus.PREHEAT, CampaignStatus.LIVE):
            if participant is None and not await is_member(
                account, campaign.audience_id, now, rules
            ):
                continue
        elif participant is None or status not in (CampaignStatus.ENDED, CampaignStatus.SETTLED):
            continue
        shown.append((campaign, participant))
    return shown


async def tell_starting(campaign: Campaign) -> int:
    """Tell the campaign's participants (those who joined during the preheat) it starts."""
    account_ids = await Participant.filter(campaign_id=campaign.id).values_list(
        "account_id", flat=True
    )
    told = 0
    for first in range(0, len(account_ids), 500):
        batch = [int(str(account_id)) for account_id in account_ids[first : first + 500]]
        async with events.atomic():
            await lock_accounts(batch)
            told += await inbox.notify_many(
                [
                    inbox.Outgoing(
                        account_id,
                        CampaignStartingNotice(campaign.id, campaign.name, campaign.starts_at),
                        dedupe_key=f"campaign-start:{campaign.id}",
                    )
                    for account_id in batch
                ]
            )
    return told
