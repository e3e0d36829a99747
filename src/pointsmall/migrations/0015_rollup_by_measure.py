from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Rollups by measure and time: a series reads one range of each measure it shows."""

    dependencies = [("pointsmall", "0014_rollup_sources")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="ProgramRollup",
            index=Index(fields=["period", "measure", "starts_on"]),
        ),
    ]
