"""The programme's figures kept current: the rollups of the current and previous periods."""

from __future__ import annotations

from datetime import timedelta

from pointsmall import clock
from pointsmall.domain import figures
from pointsmall.jobs.scheduler import Job


async def _refresh() -> None:
    await figures.refresh(clock.now())


# Every ten minutes: programMetrics is that fresh at most.
ROLLUPS = Job(name="rollups", every=timedelta(minutes=10), run=_refresh)
