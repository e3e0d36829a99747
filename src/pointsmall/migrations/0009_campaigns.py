from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from pointsmall.models.campaigns import CampaignState, CampaignStatus, Enrolment
from pointsmall.models.notifications import NotificationKind


class Migration(migrations.Migration):
    """Campaigns: their life, participants, and the moves of their life."""

    dependencies = [("pointsmall", "0008_audiences")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Campaign",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("name", fields.CharField(max_length=120)),
                ("description", fields.TextField(default="", unique=False)),
                ("image_urls", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "audience",
                    fields.ForeignKeyField(
                        "pointsmall.Audience",
                        source_field="audience_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="campaigns",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("preheat_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("capacity", fields.IntField(null=True)),
                ("participants", fields.IntField(default=0)),
                ("budget_points", fields.BigIntField(null=True)),
                ("budget_spent", fields.BigIntField(default=0)),
                (
                    "enrolment",
                    fields.CharEnumField(
                        description="AUTOMATIC: AUTOMATIC\nREQUIRED: REQUIRED",
                        enum_type=Enrolment,
                        max_length=16,
                    ),
                ),
                ("form_fields", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("mechanics", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("variants", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "state",
                    fields.CharEnumField(
                        default=CampaignState.DRAFT,
                        description="DRAFT: DRAFT\nPUBLISHED: PUBLISHED\nPAUSED: PAUSED\nENDED: ENDED\nSETTLED: SETTLED\nCANCELLED: CANCELLED",
                        enum_type=CampaignState,
                        max_length=16,
                    ),
                ),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("settled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "campaign",
                "app": "pointsmall",
                "pk_attr": "id",
                "table_description": "`mechanics`, `form_fields` and `variants` are checked JSON (see",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CampaignChange",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "pointsmall.Campaign",
                        source_field="campaign_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "previous",
                    fields.CharEnumField(
                        description="DRAFT: DRAFT\nSCHEDULED: SCHEDULED\nPREHEAT: PREHEAT\nLIVE: LIVE\nPAUSED: PAUSED\nENDED: ENDED\nSETTLED: SETTLED\nCANCELLED: CANCELLED",
                        enum_type=CampaignStatus,
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        description="DRAFT: DRAFT\nSCHEDULED: SCHEDULED\nPREHEAT: PREHEAT\nLIVE: LIVE\nPAUSED: PAUSED\nENDED: ENDED\nSETTLED: SETTLED\nCANCELLED: CANCELLED",
                        enum_type=CampaignStatus,
                        max_length=16,
                    ),
                ),
                ("actor", fields.CharField(max_length=64)),
                ("reason", fields.CharField(null=True, max_length=500)),
                ("changed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "campaign_change",
                "app": "pointsmall",
                "indexes": [Index(fields=["campaign_id", "id"])],
                "pk_attr": "id",
                "table_description": "A campaign moved in its life: who moved it (or the clock), and why.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Participant",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "pointsmall.Campaign",
                        source_field="campaign_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="participants_rows",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "account",
                    fields.ForeignKeyField(
                        "pointsmall.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="campaigns",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("enrolled", fields.BooleanField(default=False)),
                ("form", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("variant", fields.CharField(null=True, max_length=64)),
                ("joined_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("score", fields.BigIntField(default=0)),
                ("scored_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("points", fields.BigIntField(default=0)),
                ("bonuses", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("prize_points", fields.BigIntField(null=True)),
                ("prize_rank", fields.IntField(null=True)),
                ("prize_coupon", fields.CharField(null=True, max_length=128)),
            ],
            options={
                "table": "campaign_participant",
                "app": "pointsmall",
                "unique_together": (("campaign", "account"),),
                "indexes": [Index(fields=["campaign_id", "score"])],
                "pk_attr": "id",
                "table_description": "A user taking part: enrolled (or in the audience of an automatic campaign, from",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="Notification",
            name="kind",
            field=fields.CharEnumField(
                description="POINTS_EARNED: POINTS_EARNED\nPOINTS_EXPIRING_SOON: POINTS_EXPIRING_SOON\nREDEMPTION_UPDATED: REDEMPTION_UPDATED\nTASK_COMPLETED: TASK_COMPLETED\nTIER_CHANGED: TIER_CHANGED\nTIER_REVIEW: TIER_REVIEW\nGIFT_RECEIVED: GIFT_RECEIVED\nCAMPAIGN_STARTING: CAMPAIGN_STARTING\nPRIZE_AWARDED: PRIZE_AWARDED",
                enum_type=NotificationKind,
                max_length=24,
            ),
        ),
    ]
