"""Expiry warnings and matured-points news, as scheduled jobs."""

from __future__ import annotations

from datetime import timedelta

from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.notifications.inbox import announce_matured, warn_expiring
from pointsmall.jobs.scheduler import Job

MATURED_POINTS = Job(name="matured-points", every=timedelta(minutes=5), run=announce_matured)


def expiry_warnings(rules: LedgerRules, thresholds: tuple[int, ...]) -> Job:
    async def run() -> int:
        return await warn_expiring(rules, thresholds)

    return Job(name="expiry-warnings", every=timedelta(minutes=10), run=run)
