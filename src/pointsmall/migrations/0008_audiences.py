import json
from typing import Any

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from pointsmall.models.audience import Dimension, RfmSegment


async def task_audiences(apps: Any, schema_editor: Any) -> None:
    """Tasks kept for users with any of some tags now name an audience saying so."""
    client = schema_editor.client
    sqlite = client.capabilities.dialect == "sqlite"
    rows = await client.execute_query_dict(
        'SELECT "id", "audience_tags", "created_at" FROM "engagement_task" ORDER BY "id"'
    )
    for row in rows:
        tags = row["audience_tags"]
        tags = tags if isinstance(tags, list) else json.loads(tags or "[]")
        if not tags:
            continue
        marks = "?, ?, ?, ?, ?" if sqlite else "$1, $2, $3, $4, $4"
        created = await client.execute_query_dict(
            'INSERT INTO "audience" ("name", "description", "rule", "created_at", "updated_at") '
            f'VALUES ({marks}) RETURNING "id"',
            [
                f"Task {int(row['id'])}: tagged {', '.join(tags)}"[:120],
                "Made from the task's audience tags by migration 0008.",
                json.dumps({"any": [{"tag": tag} for tag in tags]}),
                row["created_at"],
            ]
            + ([row["created_at"]] if sqlite else []),
        )
        await client.execute_query(
            f'UPDATE "engagement_task" SET "audience_id" = {int(created[0]["id"])} '
            f'WHERE "id" = {int(row["id"])}'
        )


async def order_amounts_index(apps: Any, schema_editor: Any) -> None:
    """Orders by account and time carry their amounts, so audiences' order conditions read
    the index alone (PostgreSQL: INCLUDE; SQLite: the columns in the key)."""
    client = schema_editor.client
    columns = (
        '("account_id", "paid_at", "amount", "refunded_amount")'
        if client.capabilities.dialect == "sqlite"
        else '("account_id", "paid_at") INCLUDE ("amount", "refunded_amount")'
    )
    await client.execute_script('DROP INDEX "idx_engagement_order_account_paid"')
    await client.execute_script(
        f'CREATE INDEX "idx_engagement_order_account_paid" ON "engagement_order" {columns}'
    )


class Migration(migrations.Migration):
    """Member tiers, RFM scores, birthdays and custom attributes on accounts; moves recorded
    per dimension; audiences for items and tasks (tasks' tags become audiences); gifts."""

    dependencies = [("pointsmall", "0007_lifecycle")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Audience",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("name", fields.CharField(unique=True, max_length=120)),
                ("description", fields.TextField(default="", unique=False)),
                ("rule", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "audience",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "A group of users defined by a rule (see `domain.audience.rules`), for items, tasks",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Gift",
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
                        related_name="gifts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("occasion", fields.CharField(max_length=64)),
                ("points", fields.BigIntField()),
                ("coupon_code", fields.CharField(null=True, max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "audience_gift",
                "app": "pointsmall",
                "unique_together": (("account", "occasion"),),
                "pk_attr": "id",
                "table_description": "A lifecycle gift given: once per user and occasion (`welcome`, `wake-up:<move id>`,",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Account",
            name="attributes",
            field=fields.JSONField(
                default=dict, db_default="{}", encoder=JSON_DUMPS, decoder=loads
            ),
        ),
        ops.AddField(
            model_name="Account",
            name="birth_day",
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name="Account",
            name="birth_month",
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name="Account",
            name="rfm_frequency",
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name="Account",
            name="rfm_monetary",
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name="Account",
            name="rfm_recency",
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name="Account",
            name="rfm_segment",
            field=fields.CharEnumField(
                null=True,
                description="CHAMPIONS: CHAMPIONS\nLOYAL: LOYAL\nPOTENTIAL: POTENTIAL\nNEW_CUSTOMERS: NEW_CUSTOMERS\nAT_RISK: AT_RISK\nHIBERNATING: HIBERNATING\nLOST: LOST",
                enum_type=RfmSegment,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="Account",
            name="tier_level",
            field=fields.SmallIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="Account",
            name="tier_review_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Account",
            name="tier_since",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Item",
            name="audience",
            field=fields.ForeignKeyField(
                "pointsmall.Audience",
                source_field="audience_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="items",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AlterModelOptions(
            name="SegmentChange",
            options={
                "table": "audience_segment_change",
                "app": "pointsmall",
                "indexes": [Index(fields=["changed_at", "id"]), Index(fields=["account_id", "id"])],
                "pk_attr": "id",
                "table_description": "A user moved from one segment (or tier) to another.",
            },
        ),
        ops.AlterField(
            model_name="SegmentChange",
            name="previous",
            field=fields.CharField(max_length=64),
        ),
        ops.AlterField(
            model_name="SegmentChange",
            name="segment",
            field=fields.CharField(max_length=64),
        ),
        ops.AddField(
            model_name="SegmentChange",
            name="dimension",
            field=fields.CharEnumField(
                default=Dimension.LIFECYCLE,
                description="LIFECYCLE: LIFECYCLE\nRFM: RFM\nTIER: TIER",
                db_default="LIFECYCLE",
                enum_type=Dimension,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="Task",
            name="audience",
            field=fields.ForeignKeyField(
                "pointsmall.Audience",
                source_field="audience_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="tasks",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.RunPython(task_audiences),
        ops.RunPython(order_amounts_index),
        ops.RemoveField(model_name="Task", name="audience_tags"),
    ]
