from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """A user's history pages by time, then id (a keyset read of one index)."""

    dependencies = [("pointsmall", "0005_task_credits")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                'CREATE INDEX "idx_ledger_entry_by_time" ON "ledger_entry" '
                '("account_id", "created_at", "id")',
            ]
        ),
    ]
