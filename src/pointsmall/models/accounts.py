"""A user's points account together with the little profile the mall needs."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Account(Model):
    """One per shop user, opened on first sight.

    `ledger_balance` is the running total of the account's entries (what the last entry's
    `balance_after` says), `held` the sum of its open holds and `debt` the sum of its
    entries' `debt_change`; they change only in the same transaction as the entries that
    move them, with the row locked.
    """

    id = fields.BigIntField(primary_key=True)
    user_id = fields.CharField(max_length=64, unique=True)
    nickname = fields.CharField(max_length=64, null=True)
    timezone = fields.CharField(max_length=64, null=True)
    registered_at = fields.DatetimeField(null=True)
    tags: fields.Field[list[str]] = fields.JSONField(default=list)
    frozen = fields.BooleanField(default=False)
    frozen_reason = fields.CharField(max_length=500, null=True)
    ledger_balance = fields.BigIntField(default=0)
    held = fields.BigIntField(default=0)
    debt = fields.BigIntField(default=0, db_default=0)  # points a refund could not take back
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "account"
