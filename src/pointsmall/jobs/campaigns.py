"""Campaigns as time passes: their moves recorded, participants told a campaign starts,
ended campaigns settled (their prizes paid once)."""

from __future__ import annotations

from datetime import timedelta

from pointsmall import clock
from pointsmall.domain.actors import SYSTEM
from pointsmall.domain.campaigns import lifecycle, participation, settlement
from pointsmall.jobs.scheduler import Job
from pointsmall.models import Campaign, CampaignState, CampaignStatus
from pointsmall.runtime import Runtime


def campaign_clock(runtime: Runtime) -> Job:
    async def run() -> dict[str, int]:
        now = clock.now()
        told = settled = 0
        moved = await lifecycle.record_clock_moves(now)
        for campaign, status in moved:
            if status == CampaignStatus.LIVE:
                told += await participation.tell_starting(campaign)
        for campaign in await Campaign.filter(
            state__in=[CampaignState.PUBLISHED, CampaignState.ENDED]
        ):
            if lifecycle.status_of(campaign, now) == CampaignStatus.ENDED:
                done = await settlement.settle(campaign.id, SYSTEM, runtime.rules, now)
                settled += done.campaign.state == CampaignState.SETTLED
        return {"moved": len(moved), "told": told, "settled": settled}

    # Every minute: a campaign starts, ends and is settled within the minute.
    return Job(name="campaigns", every=timedelta(minutes=1), run=run)
