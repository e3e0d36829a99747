"""Rankings and settlement: the live order of participants, and prizes paid once.

A ranking orders participants by score, then by who reached their score first
(`scored_at`), then by who joined first. Settlement (by an admin, or by the campaigns job
once a campaign ended) locks the campaign row, so two settlements at once take turns and
the second finds it SETTLED; each prize goes through the ledger under the key
`campaign:<id>:prize`, unique per account, the last guard. Prizes are charged to the
budget in rank order, as far as it goes; a prize's coupon is a code from a COUPON item's
pool, while any is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from pointsmall.domain import events
from pointsmall.domain.actors import Actor
from pointsmall.domain.campaigns.definitions import mechanics_of
from pointsmall.domain.campaigns.lifecycle import locked_campaign, record_change, status_of
from pointsmall.domain.campaigns.participation import charge
from pointsmall.domain.errors import InvalidState
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.coupons import give_code
from pointsmall.domain.notifications import inbox
from pointsmall.domain.notifications.notices import PrizeAwardedNotice
from pointsmall.models import Campaign, CampaignState, CampaignStatus, Participant

ORDER = ("-score", "scored_at", "id")


async def leaders(campaign_id: int, first: int) -> list[Participant]:
    """The top of the ranking (participants with a score)."""
    return (
        await Participant.filter(campaign_id=campaign_id, score__gt=0)
        .order_by(*ORDER)
        .limit(first)
        .prefetch_related("account")
    )


async def rank_of(participant: Participant) -> int | None:
    """The participant's place in the ranking now (None: no score yet)."""
    if participant.score <= 0 or participant.scored_at is None:
        return None
    ahead = await Participant.filter(
        Q(score__gt=participant.score)
        | Q(score=participant.score, scored_at__lt=participant.scored_at)
        | Q(score=participant.score, scored_at=participant.scored_at, id__lt=participant.id),
        campaign_id=participant.campaign_id,
    ).count()
    return ahead + 1


def prize_for(campaign: Campaign, rank: int) -> dict[str, Any] | None:
    for ranking in mechanics_of(campaign.mechanics, "RANKING"):
        for prize in ranking["prizes"]:
            if prize["fromRank"] <= rank <= prize["toRank"]:
                return dict(prize)
    return None


@dataclass(frozen=True)
class Settled:
    campaign: Campaign
    prizes: int  # how many were paid by this call
    points: int


async def settle(campaign_id: int, actor: Actor, rules: LedgerRules, now: datetime) -> Settled:
    """Pay the ranking's prizes and mark the campaign SETTLED; a second call pays nothing."""
    async with events.atomic():
        campaign = await locked_campaign(campaign_id)
        status = status_of(campaign, now)
        if status == CampaignStatus.SETTLED:
            return Settled(campaign, 0, 0)
        if status != CampaignStatus.ENDED:
            raise InvalidState(f"a {status.value} campaign cannot be settled: it must have ended")
        paid = points = 0
        rankings = mechanics_of(campaign.mechanics, "RANKING")
        last = max((p["toRank"] for r in rankings for p in r["prizes"]), default=0)
        for rank, winner in enumerate(await leaders(campaign.id, last), start=1):
            prize = prize_for(campaign, rank)
            if prize is None:
                continue
            granted = await charge(campaign.id, prize["points"]) if prize["points"] else 0
            coupon = None
            if prize.get("couponItemId") is not None:
                coupon = await give_code(int(prize["couponItemId"]), now)
            if not granted and coupon is None:
                continue  # the budget and the pool are spent
            if granted:
                await entries.earn(
                    winner.account_id,
                    granted,
                    LedgerRequest(
                        actor,
                        f"campaign:{campaign.id}:prize",
                        f"{campaign.name}: prize for rank {rank}",
                        reference=f"campaign:{campaign.id}",
                    ),
                    rules,
                )
            await Participant.filter(id=winner.id).update(
                prize_points=granted,
                prize_rank=rank,
                prize_coupon=coupon,
                points=winner.points + granted,
            )
            await inbox.notify(
                winner.account_id,
                PrizeAwardedNotice(campaign.id, campaign.name, rank, granted, coupon),
                dedupe_key=f"prize:{campaign.id}",
            )
            paid += 1
            points += granted
        await Campaign.filter(id=campaign.id).update(
            state=CampaignState.SETTLED, settled_at=now, updated_at=now
        )
        await record_change(campaign, status, CampaignStatus.SETTLED, actor.user_id, "settled", now)
        events.after_commit(events.CampaignChanged(campaign.id))
    return Settled(await Campaign.get(id=campaign_id), paid, points)
