from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The programme's figures, rolled up from the ledger by day, week and month."""

    dependencies = [("pointsmall", "0010_risk")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ProgramRollup",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("period", fields.CharField(max_length=8)),
                ("starts_on", fields.DateField()),
                ("measure", fields.CharField(max_length=16)),
                ("source", fields.CharField(max_length=16)),
                ("value", fields.BigIntField()),
            ],
            options={
                "table": "program_rollup",
                "app": "pointsmall",
                "unique_together": (("period", "starts_on", "measure", "source"),),
                "pk_attr": "id",
                "table_description": "One measure of one period (DAY, WEEK from Monday, MONTH, in UTC), by source.",
            },
            bases=["Model"],
        ),
        ops.RunSQL(
            [
                # The rollups job reads the entries of the current periods by time.
                'CREATE INDEX "idx_ledger_entry_created" ON "ledger_entry" ("created_at")',
            ]
        ),
    ]
