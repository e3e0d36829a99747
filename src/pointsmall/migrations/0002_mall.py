from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from pointsmall.db import Check, add_checks
from pointsmall.models.mall import (
    ItemKind,
    ItemStatus,
    QuotaWindow,
    RedemptionStatus,
    SaleRecurrence,
)

# Stock and quotas move only by conditional updates; these checks are the last guard.
CHECKS = [
    Check(
        "mall_item",
        "mall_item_stock_within_total",
        "stock_remaining IS NULL OR (stock_remaining >= 0 AND stock_remaining <= stock_total)",
        ("stock_remaining", "stock_total"),
    ),
    Check("mall_item", "mall_item_price_positive", "price_points > 0", ("price_points",)),
    Check("mall_quota_usage", "mall_quota_usage_not_negative", "used >= 0", ("used",)),
    Check("mall_redemption", "mall_redemption_quantity_positive", "quantity > 0", ("quantity",)),
]


class Migration(migrations.Migration):
    dependencies = [("pointsmall", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Item",
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
                        description="PHYSICAL: PHYSICAL\nVIRTUAL: VIRTUAL\nSERVICE: SERVICE\nCOUPON: COUPON",
                        enum_type=ItemKind,
                        max_length=16,
                    ),
                ),
                ("title", fields.CharField(max_length=120)),
                ("description", fields.TextField(default="", unique=False)),
                ("image_urls", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("category", fields.CharField(max_length=64)),
                ("tags", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("price_points", fields.BigIntField()),
                ("price_cash_amount", fields.BigIntField(null=True)),
                ("price_cash_currency", fields.CharField(null=True, max_length=3)),
                ("stock_total", fields.BigIntField(null=True)),
                ("stock_remaining", fields.BigIntField(null=True)),
                ("per_user_quota", fields.IntField(null=True)),
                (
                    "quota_window",
                    fields.CharEnumField(
                        default=QuotaWindow.LIFETIME,
                        description="DAILY: DAILY\nWEEKLY: WEEKLY\nMONTHLY: MONTHLY\nSALE: SALE\nLIFETIME: LIFETIME",
                        enum_type=QuotaWindow,
                        max_length=16,
                    ),
                ),
                (
                    "sale_starts_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "sale_ends_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "sale_recurrence",
                    fields.CharEnumField(
                        default=SaleRecurrence.NONE,
                        description="NONE: NONE\nDAILY: DAILY\nWEEKLY: WEEKLY\nMONTHLY: MONTHLY",
                        enum_type=SaleRecurrence,
                        max_length=16,
                    ),
                ),
                ("limited", fields.BooleanField(default=False)),
                ("high_value", fields.BooleanField(default=False)),
                (
                    "status",
                    fields.CharEnumField(
                        default=ItemStatus.DRAFT,
                        description="DRAFT: DRAFT\nACTIVE: ACTIVE\nARCHIVED: ARCHIVED",
                        enum_type=ItemStatus,
                        max_length=16,
                    ),
                ),
                ("sort_weight", fields.IntField(default=0)),
                ("virtual_right", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "mall_item",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "Something the mall sells for points (and optionally cash).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="QuotaUsage",
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
                        related_name="quota_usage",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "item",
                    fields.ForeignKeyField(
                        "pointsmall.Item",
                        source_field="item_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="quota_usage",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("period", fields.CharField(max_length=64)),
                ("used", fields.IntField(default=0)),
            ],
            options={
                "table": "mall_quota_usage",
                "app": "pointsmall",
                "unique_together": (("account", "item", "period"),),
                "pk_attr": "id",
                "table_description": "Units of an item a user has redeemed in one quota period (e.g. `2026-11-23`).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Redemption",
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
                        related_name="redemptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "item",
                    fields.ForeignKeyField(
                        "pointsmall.Item",
                        source_field="item_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="redemptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("quantity", fields.IntField()),
                ("points", fields.BigIntField()),
                ("cash_amount", fields.BigIntField(null=True)),
                ("cash_currency", fields.CharField(null=True, max_length=3)),
                (
                    "status",
                    fields.CharEnumField(
                        description="CONFIRMED: CONFIRMED\nPENDING_REVIEW: PENDING_REVIEW\nAWAITING_PAYMENT: AWAITING_PAYMENT\nFULFILLED: FULFILLED\nSHIPPED: SHIPPED\nCANCELLED: CANCELLED\nREFUNDED: REFUNDED",
                        enum_type=RedemptionStatus,
                        max_length=20,
                    ),
                ),
                ("idempotency_key", fields.CharField(max_length=128)),
                ("request_fingerprint", fields.CharField(max_length=64)),
                ("quota_period", fields.CharField(null=True, max_length=64)),
                (
                    "hold",
                    fields.ForeignKeyField(
                        "pointsmall.Hold",
                        source_field="hold_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="redemptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "spend_entry",
                    fields.ForeignKeyField(
                        "pointsmall.Entry",
                        source_field="spend_entry_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="redemptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("virtual_right", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "shipping_address",
                    fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
                ),
                ("tracking", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "payment_due_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("payment_reference", fields.CharField(null=True, max_length=128)),
                ("status_reason", fields.CharField(null=True, max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "mall_redemption",
                "app": "pointsmall",
                "unique_together": (("account", "idempotency_key"),),
                "indexes": [
                    Index(fields=["account_id", "id"]),
                    Index(fields=["created_at", "item_id"]),
                    Index(fields=["status", "payment_due_at"]),
                ],
                "pk_attr": "id",
                "table_description": "A user's redemption of an item, through its whole life.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CouponCode",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "item",
                    fields.ForeignKeyField(
                        "pointsmall.Item",
                        source_field="item_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="coupon_codes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("code", fields.CharField(max_length=128)),
                (
                    "redemption",
                    fields.ForeignKeyField(
                        "pointsmall.Redemption",
                        source_field="redemption_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="coupon_codes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("issued_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "mall_coupon_code",
                "app": "pointsmall",
                "unique_together": (("item", "code"),),
                "pk_attr": "id",
                "table_description": "One partner code, issued to at most one redemption, ever.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RedemptionChange",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "redemption",
                    fields.ForeignKeyField(
                        "pointsmall.Redemption",
                        source_field="redemption_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "from_status",
                    fields.CharEnumField(
                        null=True,
                        description="CONFIRMED: CONFIRMED\nPENDING_REVIEW: PENDING_REVIEW\nAWAITING_PAYMENT: AWAITING_PAYMENT\nFULFILLED: FULFILLED\nSHIPPED: SHIPPED\nCANCELLED: CANCELLED\nREFUNDED: REFUNDED",
                        enum_type=RedemptionStatus,
                        max_length=20,
                    ),
                ),
                (
                    "to_status",
                    fields.CharEnumField(
                        description="CONFIRMED: CONFIRMED\nPENDING_REVIEW: PENDING_REVIEW\nAWAITING_PAYMENT: AWAITING_PAYMENT\nFULFILLED: FULFILLED\nSHIPPED: SHIPPED\nCANCELLED: CANCELLED\nREFUNDED: REFUNDED",
                        enum_type=RedemptionStatus,
                        max_length=20,
                    ),
                ),
                ("actor", fields.CharField(max_length=64)),
                ("actor_role", fields.CharField(max_length=16)),
                ("reason", fields.CharField(null=True, max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "mall_redemption_change",
                "app": "pointsmall",
                "indexes": [Index(fields=["redemption_id", "id"])],
                "pk_attr": "id",
                "table_description": "Every status change of a redemption, with who made it and why (append-only).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Restock",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "item",
                    fields.ForeignKeyField(
                        "pointsmall.Item",
                        source_field="item_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="restocks",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("quantity", fields.BigIntField()),
                ("idempotency_key", fields.CharField(max_length=128)),
                ("actor", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "mall_restock",
                "app": "pointsmall",
                "unique_together": (("item", "idempotency_key"),),
                "pk_attr": "id",
                "table_description": "One restock of an item. Its key makes a retried restock count once.",
            },
            bases=["Model"],
        ),
        ops.RunPython(lambda apps, schema_editor: add_checks(schema_editor, CHECKS)),
        ops.RunSQL(
            [
                'CREATE INDEX "idx_mall_item_listing" ON "mall_item" '
                '("status", "sort_weight", "id")',
                'CREATE INDEX "idx_mall_item_created" ON "mall_item" ("created_at")',
                'CREATE INDEX "idx_mall_coupon_unissued" ON "mall_coupon_code" ("item_id", "id") '
                'WHERE "redemption_id" IS NULL',
                'CREATE INDEX "idx_mall_coupon_redemption" ON "mall_coupon_code" '
                '("redemption_id") WHERE "redemption_id" IS NOT NULL',
                'CREATE INDEX "idx_mall_redemption_item" ON "mall_redemption" ("item_id")',
                'CREATE INDEX "idx_mall_quota_usage_item" ON "mall_quota_usage" ("item_id")',
            ]
        ),
    ]
