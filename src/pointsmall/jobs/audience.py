"""Lifecycle segments restated as time passes (orders and refunds restate their own)."""

from __future__ import annotations

from datetime import timedelta

from pointsmall import clock
from pointsmall.domain.audience.lifecycle import LifecycleRules, restate_all_segments
from pointsmall.jobs.scheduler import Job


def segment_restatement(rules: LifecycleRules) -> Job:
    async def run() -> int:
        return await restate_all_segments(clock.now(), rules)

    # Hourly: a user turns DORMANT within the hour their 90th quiet day ends.
    return Job(name="segments", every=timedelta(hours=1), run=run)
