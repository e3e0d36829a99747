from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops

from pointsmall.db import Check, add_checks
from pointsmall.models.engagement import ShareTarget, TaskEvent, TaskState, TaskWindow
from pointsmall.models.ledger import EntryKind

# Debts are never negative: a repayment can only pay off what is owed.
CHECKS = [
    Check("account", "account_debt_not_negative", "debt >= 0", ("debt",)),
    Check(
        "engagement_earning_rate",
        "earning_rate_in_range",
        "rate_basis_points >= 0 AND rate_basis_points <= 10000",
        ("rate_basis_points",),
    ),
]


class Migration(migrations.Migration):
    dependencies = [("pointsmall", "0002_mall")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AppEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("event_id", fields.CharField(unique=True, max_length=64)),
                (
                    "account",
                    fields.ForeignKeyField(
                        "pointsmall.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="app_events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("type", fields.CharField(max_length=32)),
                ("occurred_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("attributes", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("request_fingerprint", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_app_event",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "A behaviour event from the shop (review, share, app open, custom), once per id.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CheckIn",
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
                        related_name="check_ins",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("local_date", fields.DateField()),
                ("streak", fields.IntField()),
                ("reward", fields.IntField()),
                ("idempotency_key", fields.CharField(max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_check_in",
                "app": "pointsmall",
                "unique_together": (("account", "local_date"), ("account", "idempotency_key")),
                "pk_attr": "id",
                "table_description": "One check-in per user and local day: the database refuses a second.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EarningRate",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("category", fields.CharField(unique=True, max_length=64)),
                ("rate_basis_points", fields.IntField()),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_earning_rate",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "Points per order line of a category, in basis points of the amount (500 = 5%).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Order",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("order_id", fields.CharField(unique=True, max_length=64)),
                (
                    "account",
                    fields.ForeignKeyField(
                        "pointsmall.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="orders",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("paid_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("currency", fields.CharField(max_length=3)),
                ("amount", fields.BigIntField()),
                ("points", fields.BigIntField()),
                ("first_order_bonus", fields.BooleanField(default=False)),
                ("lines", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("request_fingerprint", fields.CharField(max_length=64)),
                (
                    "entry",
                    fields.ForeignKeyField(
                        "pointsmall.Entry",
                        source_field="entry_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="orders",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_order",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "A paid order of the shop, once: replaying its id changes nothing.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OrderRefund",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("refund_id", fields.CharField(unique=True, max_length=64)),
                (
                    "order",
                    fields.ForeignKeyField(
                        "pointsmall.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="refunds",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("lines", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("points", fields.BigIntField()),
                ("taken", fields.BigIntField()),
                ("owed", fields.BigIntField()),
                ("request_fingerprint", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_order_refund",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "A refund of some of an order's lines, once per refund id.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Share",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("token", fields.CharField(unique=True, max_length=64)),
                (
                    "account",
                    fields.ForeignKeyField(
                        "pointsmall.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="shares",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "target",
                    fields.CharEnumField(
                        description="ITEM: ITEM\nREDEMPTION: REDEMPTION\nACHIEVEMENT: ACHIEVEMENT\nINVITE: INVITE",
                        enum_type=ShareTarget,
                        max_length=16,
                    ),
                ),
                ("target_id", fields.CharField(max_length=64)),
                ("reward", fields.IntField(default=0)),
                ("local_date", fields.DateField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_share",
                "app": "pointsmall",
                "unique_together": (("account", "target", "target_id"),),
                "pk_attr": "id",
                "table_description": "A user's share link for one target. The first share of a target may earn points.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ShareOpen",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "share",
                    fields.ForeignKeyField(
                        "pointsmall.Share",
                        source_field="share_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="opens",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "opener",
                    fields.ForeignKeyField(
                        "pointsmall.Account",
                        source_field="opener_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="share_opens",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("reward", fields.IntField(default=0)),
                ("sharer_local_date", fields.DateField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_share_open",
                "app": "pointsmall",
                "unique_together": (("share", "opener"),),
                "pk_attr": "id",
                "table_description": "Another user opened a share link: once per opener, which may earn the sharer a bonus.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Task",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("title", fields.CharField(max_length=120)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "event",
                    fields.CharEnumField(
                        description="ORDER_PAID: ORDER_PAID\nCHECK_IN: CHECK_IN\nSHARE: SHARE\nREVIEW: REVIEW\nREDEEM: REDEEM\nCUSTOM: CUSTOM",
                        enum_type=TaskEvent,
                        max_length=16,
                    ),
                ),
                ("custom_event", fields.CharField(null=True, max_length=32)),
                (
                    "window",
                    fields.CharEnumField(
                        description="DAILY: DAILY\nWEEKLY: WEEKLY\nMONTHLY: MONTHLY\nONCE: ONCE\nDATE_RANGE: DATE_RANGE",
                        enum_type=TaskWindow,
                        max_length=16,
                    ),
                ),
                ("starts_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("consecutive_days", fields.BooleanField(default=False)),
                ("min_order_amount", fields.BigIntField(null=True)),
                ("tiers", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("auto_claim", fields.BooleanField(default=True)),
                (
                    "audience_tags",
                    fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=TaskState.ACTIVE,
                        description="ACTIVE: ACTIVE\nARCHIVED: ARCHIVED",
                        enum_type=TaskState,
                        max_length=16,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_task",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "Something to do for points, with a progress bar. Tiers pay as they are reached.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TaskProgress",
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
                        related_name="task_progress",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "task",
                    fields.ForeignKeyField(
                        "pointsmall.Task",
                        source_field="task_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="progress",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("period", fields.CharField(max_length=32)),
                ("current", fields.IntField(default=0)),
                ("last_day", fields.DateField(null=True)),
                ("tiers_paid", fields.IntField(default=0)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_task_progress",
                "app": "pointsmall",
                "unique_together": (("account", "task", "period"),),
                "pk_attr": "id",
                "table_description": "A user's progress on a task in one period (their local day, week... or the task's life).",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Account",
            name="debt",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AlterField(
            model_name="Entry",
            name="kind",
            field=fields.CharEnumField(
                description="EARN: EARN\nSPEND: SPEND\nHOLD: HOLD\nCAPTURE: CAPTURE\nRELEASE: RELEASE\nREVERSAL: REVERSAL\nADJUST: ADJUST\nFORFEIT: FORFEIT\nEXPIRE: EXPIRE\nFREEZE: FREEZE\nUNFREEZE: UNFREEZE\nCLAWBACK: CLAWBACK\nREPAYMENT: REPAYMENT",
                enum_type=EntryKind,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="Entry",
            name="debt_change",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.RunPython(lambda apps, schema_editor: add_checks(schema_editor, CHECKS)),
        ops.RunSQL(
            [
                'CREATE INDEX "idx_engagement_order_account" ON "engagement_order" ("account_id")',
                'CREATE INDEX "idx_engagement_refund_order" ON "engagement_order_refund" '
                '("order_id")',
                'CREATE INDEX "idx_engagement_event_account" ON "engagement_app_event" '
                '("account_id")',
                'CREATE INDEX "idx_engagement_progress_task" ON "engagement_task_progress" '
                '("task_id")',
                'CREATE INDEX "idx_engagement_share_day" ON "engagement_share" '
                '("account_id", "local_date")',
                'CREATE INDEX "idx_engagement_open_day" ON "engagement_share_open" '
                '("share_id", "sharer_local_date")',
                'CREATE INDEX "idx_engagement_open_opener" ON "engagement_share_open" '
                '("opener_id")',
                'CREATE INDEX "idx_ledger_entry_earnings" ON "ledger_entry" ("created_at") '
                "WHERE \"counterparty\" = 'ISSUED'",
            ]
        ),
    ]
