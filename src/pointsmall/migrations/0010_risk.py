from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from pointsmall.models.risk import CaseDecision, CaseStatus, RiskAction


class Migration(migrations.Migration):
    """Risk control: signals, rules' settings, cases (one open per rule and subject),
    bans; lots a case holds."""

    dependencies = [("pointsmall", "0009_campaigns")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Ban",
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
                        related_name="bans",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("scopes", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("reason", fields.CharField(max_length=500)),
                ("banned_by", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("lifted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "risk_ban",
                "app": "pointsmall",
                "indexes": [Index(fields=["account_id", "until"])],
                "pk_attr": "id",
                "table_description": "A penalty with an end: the account may not earn, redeem or join campaigns until.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RiskCase",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("rule_code", fields.CharField(max_length=40)),
                ("rule_version", fields.IntField()),
                ("subject", fields.CharField(max_length=96)),
                (
                    "status",
                    fields.CharEnumField(
                        default=CaseStatus.OPEN,
                        description="OPEN: OPEN\nRESOLVED: RESOLVED",
                        enum_type=CaseStatus,
                        max_length=16,
                    ),
                ),
                (
                    "action",
                    fields.CharEnumField(
                        description="FLAG: FLAG\nHOLD: HOLD\nFREEZE: FREEZE\nREFUSE: REFUSE",
                        enum_type=RiskAction,
                        max_length=16,
                    ),
                ),
                ("account_ids", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("detail", fields.CharField(max_length=500)),
                (
                    "decision",
                    fields.CharEnumField(
                        null=True,
                        description="RELEASE: RELEASE\nFORFEIT: FORFEIT\nDISMISS: DISMISS",
                        enum_type=CaseDecision,
                        max_length=16,
                    ),
                ),
                ("note", fields.CharField(null=True, max_length=500)),
                ("decided_by", fields.CharField(null=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "risk_case",
                "app": "pointsmall",
                "indexes": [
                    Index(fields=["status", "id"]),
                    Index(fields=["rule_code", "subject", "status"]),
                ],
                "pk_attr": "id",
                "table_description": "What a rule found: one open case per rule and subject (a device, an account).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RiskRuleSetting",
            fields=[
                (
                    "code",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40),
                ),
                ("version", fields.IntField()),
                ("threshold", fields.BigIntField()),
                ("window_seconds", fields.IntField()),
                (
                    "action",
                    fields.CharEnumField(
                        description="FLAG: FLAG\nHOLD: HOLD\nFREEZE: FREEZE\nREFUSE: REFUSE",
                        enum_type=RiskAction,
                        max_length=16,
                    ),
                ),
                ("enabled", fields.BooleanField()),
                ("updated_by", fields.CharField(max_length=64)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "risk_rule",
                "app": "pointsmall",
                "pk_attr": "code",
                "table_description": "An admin's setting of a rule (its defaults are in `domain.risk.rules`).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RiskSignal",
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
                        related_name="risk_signals",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("action", fields.CharField(max_length=16)),
                ("device", fields.CharField(null=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "risk_signal",
                "app": "pointsmall",
                "indexes": [
                    Index(fields=["device", "action", "created_at"]),
                    Index(fields=["created_at", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "Who did what from which device (a keyed hash: never the id itself), kept only as",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Lot",
            name="held_by_case_id",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="Lot",
            name="matures_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunSQL(
            [
                'CREATE UNIQUE INDEX "uid_risk_case_open" ON "risk_case" ("rule_code", "subject") '
                "WHERE \"status\" = 'OPEN'",
            ]
        ),
    ]
