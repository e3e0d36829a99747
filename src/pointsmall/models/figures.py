"""The programme's figures, rolled up from the ledger by period (see `domain.figures`)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ProgramRollup(Model):
    """One measure of one period (DAY, WEEK from Monday, MONTH, in UTC), by source."""

    id = fields.BigIntField(primary_key=True)
    period = fields.CharField(max_length=8)
    starts_on = fields.DateField()
    measure = fields.CharField(max_length=16)
    source = fields.CharField(max_length=64)  # "" when the measure has none (a category...)
    value = fields.BigIntField()

    class Meta:
        table = "program_rollup"
        unique_together = (("period", "starts_on", "measure", "source"),)
        indexes = (("period", "measure", "starts_on"),)  # a series reads each measure's range
