from typing import Any

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


async def one_row_per_measure(apps: Any, schema_editor: Any) -> None:
    """SQLite alters a column by copying the table, which loses its unique constraint:
    put it back (PostgreSQL alters the column in place and keeps it)."""
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(
            'CREATE UNIQUE INDEX "uid_program_rollup_measure" ON "program_rollup" '
            '("period", "starts_on", "measure", "source")'
        )


class Migration(migrations.Migration):
    """Rollup sources as long as a category's name (the per-category figures)."""

    dependencies = [("pointsmall", "0013_blacklists")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="ProgramRollup",
            name="source",
            field=fields.CharField(max_length=64),
        ),
        ops.RunPython(one_row_per_measure),
        ops.AlterModelOptions(
            name="RiskSignal",
            options={
                "table": "risk_signal",
                "app": "pointsmall",
                "indexes": [
                    Index(fields=["device", "action", "created_at"]),
                    Index(fields=["created_at", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "Who did what from where, kept only as long as the rules look back",
            },
        ),
    ]
