from typing import Any

from orjson import loads
from tortoise import migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops

from pointsmall.sealing import SealedJSONField


async def seal_addresses(apps: Any, schema_editor: Any) -> None:
    """Shipping addresses stored before sealing are sealed now, with the configured keys."""
    from pointsmall.config import Settings
    from pointsmall.sealing import seal_rows

    await seal_rows(schema_editor.client, Settings.from_env().keyring, rotate=False)


class Migration(migrations.Migration):
    """Shipping addresses sealed at rest (field-level encryption, `pointsmall.sealing`)."""

    dependencies = [("pointsmall", "0011_figures")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Redemption",
            name="shipping_address",
            field=SealedJSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.RunPython(seal_addresses),
    ]
