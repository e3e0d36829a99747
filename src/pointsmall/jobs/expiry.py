"""The expiry sweep as a scheduled job."""

from __future__ import annotations

from datetime import timedelta

from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.jobs.scheduler import Job

EXPIRY_SWEEP = Job(name="expiry-sweep", every=timedelta(minutes=5), run=expire_due_points)
