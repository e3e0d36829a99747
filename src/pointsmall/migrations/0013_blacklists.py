from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from pointsmall.models.risk import BlacklistKind


class Migration(migrations.Migration):
    """Blacklists of users, devices and addresses, with an end."""

    dependencies = [("pointsmall", "0012_sealing")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Blacklisted",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="USER: USER\nDEVICE: DEVICE\nADDRESS: ADDRESS",
                        enum_type=BlacklistKind,
                        max_length=16,
                    ),
                ),
                ("subject", fields.CharField(max_length=64)),
                ("until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("reason", fields.CharField(max_length=500)),
                ("listed_by", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "risk_blacklist",
                "app": "pointsmall",
                "indexes": [Index(fields=["kind", "subject", "until"])],
                "pk_attr": "id",
                "table_description": "A user, device or address refused until a date. Devices and addresses are kept as",
            },
            bases=["Model"],
        ),
    ]
