from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from pointsmall.db import Check, add_checks
from pointsmall.models.ledger import Counterparty, EntryKind, HoldStatus, LotSource

# Checks that keep the ledger sane whatever the code does.
CHECKS = [
    Check(
        "points_lot",
        "points_lot_remaining_within_amount",
        "amount > 0 AND remaining >= 0 AND remaining <= amount",
        ("amount", "remaining"),
    ),
    Check("points_hold", "points_hold_amount_positive", "amount > 0", ("amount",)),
    Check("points_allocation", "points_allocation_nonzero", "amount <> 0", ("amount",)),
]


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Account",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("user_id", fields.CharField(unique=True, max_length=64)),
                ("nickname", fields.CharField(null=True, max_length=64)),
                ("timezone", fields.CharField(null=True, max_length=64)),
                (
                    "registered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("tags", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("frozen", fields.BooleanField(default=False)),
                ("frozen_reason", fields.CharField(null=True, max_length=500)),
                ("ledger_balance", fields.BigIntField(default=0)),
                ("held", fields.BigIntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "account",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "One per shop user, opened on first sight.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Hold",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "account",
                    fields.ForeignKeyField(
                        "pointsmall.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="holds",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.BigIntField()),
                (
                    "status",
                    fields.CharEnumField(
                        description="HELD: HELD\nCAPTURED: CAPTURED\nRELEASED: RELEASED",
                        enum_type=HoldStatus,
                        max_length=16,
                    ),
                ),
                ("reference", fields.CharField(null=True, max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("settled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "points_hold",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "Points set aside for a redemption awaiting review or payment (two-phase).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Entry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "account",
                    fields.ForeignKeyField(
                        "pointsmall.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="EARN: EARN\nSPEND: SPEND\nHOLD: HOLD\nCAPTURE: CAPTURE\nRELEASE: RELEASE\nREVERSAL: REVERSAL\nADJUST: ADJUST\nFORFEIT: FORFEIT\nEXPIRE: EXPIRE\nFREEZE: FREEZE\nUNFREEZE: UNFREEZE",
                        enum_type=EntryKind,
                        max_length=16,
                    ),
                ),
                ("amount", fields.BigIntField()),
                ("balance_after", fields.BigIntField()),
                (
                    "counterparty",
                    fields.CharEnumField(
                        description="ISSUED: ISSUED\nREDEEMED: REDEEMED\nHELD: HELD\nADJUSTED: ADJUSTED\nFORFEITED: FORFEITED\nEXPIRED: EXPIRED\nNONE: NONE",
                        enum_type=Counterparty,
                        max_length=16,
                    ),
                ),
                ("reference", fields.CharField(null=True, max_length=128)),
                ("reason", fields.CharField(null=True, max_length=500)),
                ("actor", fields.CharField(max_length=64)),
                ("actor_role", fields.CharField(max_length=16)),
                ("request_id", fields.CharField(null=True, max_length=64)),
                ("idempotency_key", fields.CharField(null=True, max_length=128)),
                ("request_fingerprint", fields.CharField(null=True, max_length=64)),
                (
                    "reverses",
                    fields.ForeignKeyField(
                        "pointsmall.Entry",
                        source_field="reverses_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reversals",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "hold",
                    fields.ForeignKeyField(
                        "pointsmall.Hold",
                        source_field="hold_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "ledger_entry",
                "app": "pointsmall",
                "unique_together": (("account", "idempotency_key"),),
                "indexes": [Index(fields=["account_id", "id"])],
                "pk_attr": "id",
                "table_description": "One change to an account, with its audit trail. Append-only.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Lot",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "account",
                    fields.ForeignKeyField(
                        "pointsmall.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="lots",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.BigIntField()),
                ("remaining", fields.BigIntField()),
                (
                    "source",
                    fields.CharEnumField(
                        description="EARN: EARN\nADJUSTMENT: ADJUSTMENT\nGRACE: GRACE",
                        enum_type=LotSource,
                        max_length=16,
                    ),
                ),
                ("earned_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("available_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "points_lot",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "Points from one credit. Spendable while `available_at <= t < expires_at`.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Allocation",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "entry",
                    fields.ForeignKeyField(
                        "pointsmall.Entry",
                        source_field="entry_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "lot",
                    fields.ForeignKeyField(
                        "pointsmall.Lot",
                        source_field="lot_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.BigIntField()),
            ],
            options={
                "table": "points_allocation",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "How much of an entry's amount came from (negative) or went to (positive) one lot.",
            },
            bases=["Model"],
        ),
        ops.RunPython(lambda apps, schema_editor: add_checks(schema_editor, CHECKS)),
        # Indexes tortoise does not declare: foreign keys, and the partial indexes that keep
        # "live" lots (remaining > 0) a small indexed read for balances and the expiry sweep.
        ops.RunSQL(
            [
                'CREATE INDEX "idx_points_lot_live_by_account" ON "points_lot" '
                '("account_id", "expires_at") WHERE "remaining" > 0',
                'CREATE INDEX "idx_points_lot_live_by_expiry" ON "points_lot" '
                '("expires_at") WHERE "remaining" > 0',
                'CREATE INDEX "idx_points_hold_account" ON "points_hold" ("account_id", "status")',
                'CREATE INDEX "idx_points_allocation_entry" ON "points_allocation" ("entry_id")',
                'CREATE INDEX "idx_points_allocation_lot" ON "points_allocation" ("lot_id")',
                'CREATE INDEX "idx_ledger_entry_reverses" ON "ledger_entry" ("reverses_id") '
                'WHERE "reverses_id" IS NOT NULL',
                'CREATE INDEX "idx_ledger_entry_hold" ON "ledger_entry" ("hold_id") '
                'WHERE "hold_id" IS NOT NULL',
            ]
        ),
    ]
