"""The points ledger: accounts, lots, append-only entries, their allocations to lots, holds.

Every credit creates a `Lot`; every change is an `Entry` (never updated or deleted) whose
`Allocation`s say which lots it took points from (negative) or gave points to (positive),
so that, for every lot, `remaining == sum(allocations)` and, for every entry,
`amount == sum(allocations)`. The database checks that no lot's remaining leaves
`0..amount` (migration 0001). Each entry also names its counterparty, the system account
on the other side of a double entry (issued, redeemed, expired...), so the programme's
figures (issued, redeemed, breakage, liability) are sums over entries.
"""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from pointsmall.models.audience import RfmSegment, Segment


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
    segment = fields.CharEnumField(Segment, max_length=16, default=Segment.NEW, db_default="NEW")
    segment_since = fields.DatetimeField(null=True)  # null: since the account opened
    tier_level = fields.SmallIntField(default=0, db_default=0)
    tier_since = fields.DatetimeField(null=True)
    tier_review_at = fields.DatetimeField(null=True)  # the yearly review; null on the first tier
    rfm_recency = fields.SmallIntField(null=True)  # 1-5; null: no paid order in 365 days
    rfm_frequency = fields.SmallIntField(null=True)
    rfm_monetary = fields.SmallIntField(null=True)
    rfm_segment = fields.CharEnumField(RfmSegment, max_length=16, null=True)
    birth_month = fields.SmallIntField(null=True)
    birth_day = fields.SmallIntField(null=True)
    attributes: fields.Field[dict[str, str]] = fields.JSONField(default=dict, db_default="{}")
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "account"


class EntryKind(enum.StrEnum):
    EARN = "EARN"
    SPEND = "SPEND"
    HOLD = "HOLD"
    CAPTURE = "CAPTURE"
    RELEASE = "RELEASE"
    REVERSAL = "REVERSAL"
    ADJUST = "ADJUST"
    FORFEIT = "FORFEIT"
    EXPIRE = "EXPIRE"
    FREEZE = "FREEZE"
    UNFREEZE = "UNFREEZE"
    CLAWBACK = "CLAWBACK"  # a refunded order's points taken back (what could not be, is owed)
    REPAYMENT = "REPAYMENT"  # new points paying off what is owed, before anything else


class Counterparty(enum.StrEnum):
    """The system account on the other side of an entry."""

    ISSUED = "ISSUED"
    REDEEMED = "REDEEMED"
    HELD = "HELD"
    ADJUSTED = "ADJUSTED"
    FORFEITED = "FORFEITED"
    EXPIRED = "EXPIRED"
    NONE = "NONE"


class LotSource(enum.StrEnum):
    EARN = "EARN"
    ADJUSTMENT = "ADJUSTMENT"
    GRACE = "GRACE"  # points given back by a reversal after their own lot had expired


class HoldStatus(enum.StrEnum):
    HELD = "HELD"
    CAPTURED = "CAPTURED"
    RELEASED = "RELEASED"


class Lot(Model):
    """Points from one credit. Spendable while `available_at <= t < expires_at`."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="lots", on_delete=fields.RESTRICT
    )
    account_id: int
    amount = fields.BigIntField()
    remaining = fields.BigIntField()
    source = fields.CharEnumField(LotSource, max_length=16)
    earned_at = fields.DatetimeField()
    available_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    # Held by a risk case: pending (`available_at` far ahead) until the case is decided;
    # `matures_at` is when it would have become spendable.
    held_by_case_id = fields.BigIntField(null=True)
    matures_at = fields.DatetimeField(null=True)

    class Meta:
        table = "points_lot"


class Hold(Model):
    """Points set aside for a redemption awaiting review or payment (two-phase)."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="holds", on_delete=fields.RESTRICT
    )
    account_id: int
    amount = fields.BigIntField()
    status = fields.CharEnumField(HoldStatus, max_length=16)
    reference = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField()
    settled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "points_hold"


class Entry(Model):
    """One change to an account, with its audit trail. Append-only."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="entries", on_delete=fields.RESTRICT
    )
    account_id: int
    kind = fields.CharEnumField(EntryKind, max_length=16)
    amount = fields.BigIntField()
    balance_after = fields.BigIntField()
    counterparty = fields.CharEnumField(Counterparty, max_length=16)
    reference = fields.CharField(max_length=128, null=True)
    reason = fields.CharField(max_length=500, null=True)
    actor = fields.CharField(max_length=64)
    actor_role = fields.CharField(max_length=16)
    request_id = fields.CharField(max_length=64, null=True)
    idempotency_key = fields.CharField(max_length=128, null=True)
    request_fingerprint = fields.CharField(max_length=64, null=True)
    reverses: fields.ForeignKeyNullableRelation[Entry] = fields.ForeignKeyField(
        "pointsmall.Entry", related_name="reversals", null=True, on_delete=fields.RESTRICT
    )
    reverses_id: int | None
    hold: fields.ForeignKeyNullableRelation[Hold] = fields.ForeignKeyField(
        "pointsmall.Hold", related_name="entries", null=True, on_delete=fields.RESTRICT
    )
    hold_id: int | None
    debt_change = fields.BigIntField(default=0, db_default=0)  # owed points added (+), paid (-)
    created_at = fields.DatetimeField()

    class Meta:
        table = "ledger_entry"
        unique_together = (("account", "idempotency_key"),)
        indexes = (("account_id", "id"),)


class Allocation(Model):
    """How much of an entry's amount came from (negative) or went to (positive) one lot."""

    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[Entry] = fields.ForeignKeyField(
        "pointsmall.Entry", related_name="allocations", on_delete=fields.RESTRICT
    )
    entry_id: int
    lot: fields.ForeignKeyRelation[Lot] = fields.ForeignKeyField(
        "pointsmall.Lot", related_name="allocations", on_delete=fields.RESTRICT
    )
    lot_id: int
    amount = fields.BigIntField()

    class Meta:
        table = "points_allocation"
