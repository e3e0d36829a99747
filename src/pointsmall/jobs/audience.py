"""Who the users are, as time passes: segments and gifts hourly, RFM and tier reviews daily
(orders, refunds and earnings restate their own)."""

from __future__ import annotations

from datetime import timedelta

from pointsmall import clock
from pointsmall.domain.audience import gifts, rfm, tiers
from pointsmall.domain.audience.lifecycle import restate_all_segments
from pointsmall.jobs.scheduler import Job
from pointsmall.runtime import Runtime


def segment_restatement(runtime: Runtime) -> Job:
    engagement = runtime.engagement

    async def run() -> dict[str, int]:
        now = clock.now()
        moved = await restate_all_segments(now, engagement.lifecycle)
        woken = await gifts.give_wake_up_gifts(now, runtime.rules, engagement.gifts)
        birthdays = await gifts.give_birthday_gifts(now, runtime.rules, engagement.gifts)
        return {"moved": moved, "wake-up gifts": woken, "birthday gifts": birthdays}

    # Hourly: a user turns DORMANT (and is sent a gift) within the hour their 90th quiet
    # day ends; a birthday is greeted within the hour it starts in the user's zone.
    return Job(name="segments", every=timedelta(hours=1), run=run)


def rfm_restatement() -> Job:
    async def run() -> int:
        return await rfm.restate_rfm(clock.now())

    return Job(name="rfm", every=timedelta(days=1), run=run)


def tier_review(runtime: Runtime) -> Job:
    async def run() -> int:
        return await tiers.review_tiers(clock.now(), runtime.rules.tiers)

    return Job(name="tiers", every=timedelta(days=1), run=run)
