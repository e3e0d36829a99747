"""Risk signals are kept only as long as the rules look back (`RISK_SIGNAL_DAYS`)."""

from __future__ import annotations

from datetime import timedelta

from pointsmall import clock
from pointsmall.jobs.scheduler import Job
from pointsmall.models import RiskSignal


def signal_retention(days: int) -> Job:
    async def run() -> int:
        return await RiskSignal.filter(created_at__lt=clock.now() - timedelta(days=days)).delete()

    return Job(name="risk-signals", every=timedelta(hours=1), run=run)
