"""Cancel redemptions whose cash payment never came, giving their points and stock back."""

from __future__ import annotations

from datetime import timedelta

from pointsmall.domain.actors import SYSTEM
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.redemption_lifecycle import lapse_unpaid
from pointsmall.jobs.scheduler import Job


def payment_lapse(rules: LedgerRules) -> Job:
    async def run() -> int:
        return await lapse_unpaid(SYSTEM, rules)

    return Job(name="payment-lapse", every=timedelta(minutes=1), run=run)
