from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from pointsmall.models.notifications import NotificationKind


class Migration(migrations.Migration):
    dependencies = [("pointsmall", "0003_engagement")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Notification",
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
                        related_name="notifications",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="POINTS_EARNED: POINTS_EARNED\nPOINTS_EXPIRING_SOON: POINTS_EXPIRING_SOON\nREDEMPTION_UPDATED: REDEMPTION_UPDATED\nTASK_COMPLETED: TASK_COMPLETED",
                        enum_type=NotificationKind,
                        max_length=24,
                    ),
                ),
                ("payload", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("dedupe_key", fields.CharField(null=True, max_length=96)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "notification",
                "app": "pointsmall",
                "unique_together": (("account", "dedupe_key"),),
                "indexes": [Index(fields=["account_id", "id"])],
                "pk_attr": "id",
                "table_description": "Something a user is told about. `dedupe_key` makes a repeated warning a no-op.",
            },
            bases=["Model"],
        ),
        ops.RunSQL(
            [
                'CREATE INDEX "idx_notification_unread" ON "notification" ("account_id") '
                'WHERE "read_at" IS NULL',
                'CREATE INDEX "idx_points_lot_maturing" ON "points_lot" ("available_at") '
                'WHERE "remaining" > 0',
            ]
        ),
    ]
