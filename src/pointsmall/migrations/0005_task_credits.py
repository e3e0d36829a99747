from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("pointsmall", "0004_notifications")]

    initial = False

    operations = [
        ops.CreateModel(
            name="TaskCredit",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "progress",
                    fields.ForeignKeyField(
                        "pointsmall.TaskProgress",
                        source_field="progress_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="credits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("source", fields.CharField(max_length=96)),
                ("local_day", fields.DateField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "engagement_task_credit",
                "app": "pointsmall",
                "indexes": [Index(fields=["source"]), Index(fields=["progress_id", "id"])],
                "pk_attr": "id",
                "table_description": "One event counted towards a user's progress on a task, and what it came from",
            },
            bases=["Model"],
        ),
    ]
