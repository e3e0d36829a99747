import json
from typing import Any

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from pointsmall.models.audience import Segment

SEGMENTS = "NEW: NEW\nACTIVE: ACTIVE\nREGULAR: REGULAR\nDORMANT: DORMANT\nCHURNED: CHURNED"


async def refunded_amounts(apps: Any, schema_editor: Any) -> None:
    """Orders refunded before this migration: what of them was refunded, from their lines."""
    client = schema_editor.client
    rows = await client.execute_query_dict(
        'SELECT DISTINCT o."id", o."lines" FROM "engagement_order" o '
        'JOIN "engagement_order_refund" r ON r."order_id" = o."id"'
    )
    for row in rows:
        lines = row["lines"] if isinstance(row["lines"], list) else json.loads(row["lines"])
        refunded = sum(int(line["refunded_amount"]) for line in lines)
        await client.execute_query(
            f'UPDATE "engagement_order" SET "refunded_amount" = {refunded} WHERE "id" = {int(row["id"])}'
        )


class Migration(migrations.Migration):
    """Lifecycle segments: each account's, the changes between them, and what of an order
    was refunded (an order fully refunded is no paid order)."""

    dependencies = [("pointsmall", "0006_ledger_by_time")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SegmentChange",
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
                        related_name="segment_changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "previous",
                    fields.CharEnumField(description=SEGMENTS, enum_type=Segment, max_length=16),
                ),
                (
                    "segment",
                    fields.CharEnumField(description=SEGMENTS, enum_type=Segment, max_length=16),
                ),
                ("changed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "audience_segment_change",
                "app": "pointsmall",
                "indexes": [Index(fields=["changed_at", "id"]), Index(fields=["account_id", "id"])],
                "pk_attr": "id",
                "table_description": "A user moved from one lifecycle segment to another.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Account",
            name="segment",
            field=fields.CharEnumField(
                default=Segment.NEW,
                description=SEGMENTS,
                db_default="NEW",
                enum_type=Segment,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="Account",
            name="segment_since",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Order",
            name="refunded_amount",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.RunPython(refunded_amounts),
        ops.RunSQL(
            [
                'CREATE INDEX "idx_engagement_order_account_paid" ON "engagement_order" '
                '("account_id", "paid_at")',
            ]
        ),
    ]
