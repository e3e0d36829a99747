"""The flash-sale gates, restated from the database every minute."""

from __future__ import annotations

from datetime import timedelta

from pointsmall.domain.mall.flash_gate import FlashGate, restate_stock
from pointsmall.jobs.scheduler import Job


def gate_check(gate: FlashGate) -> Job:
    async def run() -> int:
        return await restate_stock(gate)

    return Job(name="gate-check", every=timedelta(minutes=1), run=run)
