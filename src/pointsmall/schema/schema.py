"""The one Schema: queries, mutations and subscriptions of every domain, with their limits."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.schema.config import StrawberryConfig

from pointsmall.resolvers import node as node_fields
from pointsmall.resolvers.audience import audiences as audience_fields
from pointsmall.resolvers.audience import segments as segment_fields
from pointsmall.resolvers.campaigns import campaigns as campaign_fields
from pointsmall.resolvers.engagement import checkins as check_in_fields
from pointsmall.resolvers.engagement import leaderboards as leaderboard_fields
from pointsmall.resolvers.engagement import orders as order_fields
from pointsmall.resolvers.engagement import shares as share_fields
from pointsmall.resolvers.engagement import tasks as task_fields
from pointsmall.resolvers.figures import program as figure_fields
from pointsmall.resolvers.ledger import accounts as account_fields
from pointsmall.resolvers.ledger import entries as entry_fields
from pointsmall.resolvers.mall import cards as card_fields
from pointsmall.resolvers.mall import items as item_fields
from pointsmall.resolvers.mall import redemptions as redemption_fields
from pointsmall.resolvers.notifications import inbox as inbox_fields
from pointsmall.resolvers.risk import reviews as review_fields
from pointsmall.resolvers.risk import risk as risk_fields
from pointsmall.schema.audience.audiences import (
    Audience,
    AudiencePreview,
    CreateAudiencePayload,
    UpdateAudiencePayload,
)
from pointsmall.schema.audience.segments import SegmentFigures
from pointsmall.schema.campaigns.campaigns import (
    Campaign,
    CampaignPayload,
    JoinCampaignPayload,
    SettleCampaignPayload,
)
from pointsmall.schema.engagement.checkins import CheckInPayload
from pointsmall.schema.engagement.leaderboards import Leaderboard
from pointsmall.schema.engagement.orders import (
    EarningRate,
    OrderPointsPreview,
    RecordEventPayload,
    RecordOrderPayload,
    RefundOrderPayload,
    SetEarningRatePayload,
)
from pointsmall.schema.engagement.shares import OpenSharePayload, SharePayload
from pointsmall.schema.engagement.tasks import (
    ArchiveTaskPayload,
    ClaimTaskRewardPayload,
    CreateTaskPayload,
    Task,
    UpdateTaskPayload,
)
from pointsmall.schema.errors import ErrorPolicy
from pointsmall.schema.figures.program import ProgramPeriod
from pointsmall.schema.ledger.accounts import (
    Account,
    FreezeAccountPayload,
    UnfreezeAccountPayload,
    UpsertUserPayload,
)
from pointsmall.schema.ledger.entries import (
    AdjustPointsPayload,
    ForfeitPointsPayload,
    GrantPointsPayload,
    LedgerEntry,
    ReverseEntryPayload,
)
from pointsmall.schema.limits import (
    CachedParsing,
    CachedValidation,
    DepthAndAliasLimits,
    TokenLimit,
    ValidText,
)
from pointsmall.schema.mall.cards import Mall
from pointsmall.schema.mall.items import (
    AddCouponCodesPayload,
    ArchiveItemPayload,
    CreateItemPayload,
    Item,
    ItemConnection,
    RestockItemPayload,
    UpdateItemPayload,
)
from pointsmall.schema.mall.redemptions import (
    CancelRedemptionPayload,
    ConfirmCashPaymentPayload,
    FulfillRedemptionPayload,
    RedeemPayload,
    Redemption,
    RedemptionConnection,
    RedemptionQuote,
    ReviewRedemptionPayload,
)
from pointsmall.schema.metrics import OperationMetrics
from pointsmall.schema.notifications.inbox import (
    CampaignStarting,
    GiftReceived,
    MarkNotificationsReadPayload,
    PointsEarned,
    PointsExpiringSoon,
    PrizeAwarded,
    RedemptionUpdated,
    TaskCompleted,
    TierChanged,
    TierReviewSoon,
)
from pointsmall.schema.rate_limits import RateLimiting
from pointsmall.schema.risk.risk import (
    Ban,
    BanPayload,
    BlacklistPayload,
    RiskCase,
    RiskCasePayload,
    RiskRule,
    RiskRulePayload,
)


@strawberry.type
class Query:
    me: Account = strawberry.field(
        resolver=account_fields.me, description="The calling user's account (role user)."
    )
    account: Account | None = strawberry.field(
        resolver=account_fields.account,
        description="Any user's account by the shop's user id (admin).",
    )
    node: relay.Node | None = strawberry.field(
        resolver=node_fields.node, description="Any object you may see, by its global ID."
    )
    items: ItemConnection = strawberry.field(
        resolver=item_fields.items, description="The catalogue, by sort weight then newest."
    )
    item: Item | None = strawberry.field(
        resolver=item_fields.item, description="One item by its ID."
    )
    mall: Mall = strawberry.field(
        resolver=card_fields.mall, description="The personalised home screen's cards."
    )
    redemption_quote: RedemptionQuote = strawberry.field(
        resolver=redemption_fields.redemption_quote,
        description="Step 1 of redeeming: cost, balance after, points used, problems (user).",
    )
    redemptions: RedemptionConnection = strawberry.field(
        resolver=redemption_fields.redemptions,
        description="Everyone's redemptions, e.g. the review queue (admin).",
    )
    leaderboard: Leaderboard = strawberry.field(
        resolver=leaderboard_fields.leaderboard,
        description="Points earned in the period: nicknames and points only.",
    )
    tasks: list[Task] = strawberry.field(
        resolver=task_fields.all_tasks, description="Every task, as ops see them (admin)."
    )
    earning_rates: list[EarningRate] = strawberry.field(
        resolver=order_fields.earning_rates, description="Earning rates by category (admin)."
    )
    segment_figures: SegmentFigures = strawberry.field(
        resolver=segment_fields.segment_figures,
        description="Users per lifecycle segment, RFM segment and tier, and who moved "
        "between them (admin).",
    )
    audiences: list[Audience] = strawberry.field(
        resolver=audience_fields.audiences, description="Every audience, by name (admin)."
    )
    order_points_preview: OrderPointsPreview = strawberry.field(
        resolver=order_fields.order_points_preview,
        description="What an order would earn the caller now (user): nothing is recorded.",
    )
    campaigns: list[Campaign] = strawberry.field(
        resolver=campaign_fields.campaigns,
        description="Every campaign, newest first, or those in one status (admin).",
    )
    campaign: Campaign | None = strawberry.field(
        resolver=campaign_fields.campaign,
        description="One campaign: any for admins, one shown to the user for users.",
    )
    program_metrics: list[ProgramPeriod] = strawberry.field(
        resolver=figure_fields.program_metrics,
        description="The programme's figures per day, week or month, from the rollups (admin).",
    )
    risk_cases: list[RiskCase] = strawberry.field(
        resolver=risk_fields.risk_cases,
        description="Risk cases, oldest first; by default the open ones (admin).",
    )
    risk_case: RiskCase | None = strawberry.field(resolver=risk_fields.risk_case)
    risk_rules: list[RiskRule] = strawberry.field(
        resolver=risk_fields.risk_rules, description="The risk rules as they stand (admin)."
    )
    bans: list[Ban] = strawberry.field(
        resolver=risk_fields.bans_of, description="A user's bans, newest first (admin)."
    )
    audience_preview: AudiencePreview = strawberry.field(
        resolver=audience_fields.audience_preview,
        description="How many users a rule holds for now, and a sample (admin).",
    )


@strawberry.type
class Mutation:
    grant_points: GrantPointsPayload = strawberry.mutation(
        resolver=entry_fields.grant_points, description="Credit a user's points (service)."
    )
    upsert_user: UpsertUserPayload = strawberry.mutation(
        resolver=account_fields.upsert_user,
        description="Create or update a user's profile (service).",
    )
    adjust_points: AdjustPointsPayload = strawberry.mutation(
        resolver=entry_fields.adjust_points,
        description="Correct a user's points, with a reason (admin).",
    )
    forfeit_points: ForfeitPointsPayload = strawberry.mutation(
        resolver=entry_fields.forfeit_points, description="Remove all of a user's points (admin)."
    )
    reverse_entry: ReverseEntryPayload = strawberry.mutation(
        resolver=entry_fields.reverse_entry, description="Give back all or part of a debit (admin)."
    )
    freeze_account: FreezeAccountPayload = strawberry.mutation(
        resolver=account_fields.freeze_account,
        description="Stop an account from spending or holding points (admin).",
    )
    unfreeze_account: UnfreezeAccountPayload = strawberry.mutation(
        resolver=account_fields.unfreeze_account, description="Lift a freeze (admin)."
    )
    create_item: CreateItemPayload = strawberry.mutation(
        resolver=item_fields.create_item, description="Add an item to the catalogue (admin)."
    )
    update_item: UpdateItemPayload = strawberry.mutation(
        resolver=item_fields.update_item, description="Change an item (admin)."
    )
    archive_item: ArchiveItemPayload = strawberry.mutation(
        resolver=item_fields.archive_item, description="Take an item out of the mall (admin)."
    )
    restock_item: RestockItemPayload = strawberry.mutation(
        resolver=item_fields.restock_item, description="Add stock, once per key (admin)."
    )
    add_coupon_codes: AddCouponCodesPayload = strawberry.mutation(
        resolver=item_fields.add_coupon_codes, description="Fill a coupon item's code pool (admin)."
    )
    redeem: RedeemPayload = strawberry.mutation(
        resolver=redemption_fields.redeem, description="Step 2 of redeeming: redeem an item (user)."
    )
    cancel_redemption: CancelRedemptionPayload = strawberry.mutation(
        resolver=redemption_fields.cancel_redemption,
        description="Cancel and refund (the user before delivery, or an admin).",
    )
    review_redemption: ReviewRedemptionPayload = strawberry.mutation(
        resolver=redemption_fields.review_redemption,
        description="Approve or reject a high-value redemption (admin).",
    )
    confirm_cash_payment: ConfirmCashPaymentPayload = strawberry.mutation(
        resolver=redemption_fields.confirm_cash_payment,
        description="The cash part of a redemption was paid (service).",
    )
    fulfill_redemption: FulfillRedemptionPayload = strawberry.mutation(
        resolver=redemption_fields.fulfill_redemption,
        description="Mark a redemption SHIPPED or FULFILLED (admin or service).",
    )
    record_order: RecordOrderPayload = strawberry.mutation(
        resolver=order_fields.record_order,
        description="Award a paid order's points, pending for the return window (service).",
    )
    refund_order: RefundOrderPayload = strawberry.mutation(
        resolver=order_fields.refund_order,
        description="Take back the points of refunded order lines (service).",
    )
    record_event: RecordEventPayload = strawberry.mutation(
        resolver=order_fields.record_event,
        description="A behaviour event that counts towards tasks (service).",
    )
    resolve_risk_case: RiskCasePayload = strawberry.mutation(
        resolver=risk_fields.resolve_risk_case,
        description="Decide a case: release or forfeit the points it held, with a note (admin).",
    )
    update_risk_rule: RiskRulePayload = strawberry.mutation(
        resolver=risk_fields.update_risk_rule,
        description="Change a rule's threshold, window, action or state (admin).",
    )
    ban_user: BanPayload = strawberry.mutation(
        resolver=risk_fields.ban_user,
        description="Stop a user earning, redeeming or joining campaigns until a date (admin).",
    )
    blacklist: BlacklistPayload = strawberry.mutation(
        resolver=risk_fields.blacklist,
        description="Refuse a user, a device or an address until a date (admin).",
    )
    lift_ban: BanPayload = strawberry.mutation(
        resolver=risk_fields.lift_ban, description="End a ban early (admin)."
    )
    create_campaign: CampaignPayload = strawberry.mutation(
        resolver=campaign_fields.create_campaign, description="Draft a campaign (admin)."
    )
    update_campaign: CampaignPayload = strawberry.mutation(
        resolver=campaign_fields.update_campaign,
        description="Change a campaign; once under way only words, pictures, budget and "
        "capacity (admin).",
    )
    publish_campaign: CampaignPayload = strawberry.mutation(
        resolver=campaign_fields.publish_campaign,
        description="DRAFT -> SCHEDULED: time takes it on (admin).",
    )
    pause_campaign: CampaignPayload = strawberry.mutation(
        resolver=campaign_fields.pause_campaign, description="Stop it paying for now (admin)."
    )
    resume_campaign: CampaignPayload = strawberry.mutation(
        resolver=campaign_fields.resume_campaign, description="Resume a paused one (admin)."
    )
    end_campaign: CampaignPayload = strawberry.mutation(
        resolver=campaign_fields.end_campaign, description="End it early (admin)."
    )
    cancel_campaign: CampaignPayload = strawberry.mutation(
        resolver=campaign_fields.cancel_campaign,
        description="Cancel one that has not started (admin).",
    )
    clone_campaign: CampaignPayload = strawberry.mutation(
        resolver=campaign_fields.clone_campaign,
        description="Copy a campaign as a new draft: a template (admin).",
    )
    settle_campaign: SettleCampaignPayload = strawberry.mutation(
        resolver=campaign_fields.settle_campaign,
        description="Pay an ended campaign's prizes, once (admin; the job does it too).",
    )
    join_campaign: JoinCampaignPayload = strawberry.mutation(
        resolver=campaign_fields.join_campaign,
        description="Enrol in a campaign; every unmet condition is said (user).",
    )
    create_audience: CreateAudiencePayload = strawberry.mutation(
        resolver=audience_fields.create_audience,
        description="Name a group of users by a rule (admin).",
    )
    update_audience: UpdateAudiencePayload = strawberry.mutation(
        resolver=audience_fields.update_audience,
        description="Change an audience's name, description or rule (admin).",
    )
    create_task: CreateTaskPayload = strawberry.mutation(
        resolver=task_fields.create_task, description="Add a task (admin)."
    )
    update_task: UpdateTaskPayload = strawberry.mutation(
        resolver=task_fields.update_task, description="Change a task (admin)."
    )
    archive_task: ArchiveTaskPayload = strawberry.mutation(
        resolver=task_fields.archive_task, description="End a task (admin)."
    )
    set_earning_rate: SetEarningRatePayload = strawberry.mutation(
        resolver=order_fields.set_earning_rate,
        description="Points per order line of a category, in percent (admin).",
    )
    check_in: CheckInPayload = strawberry.mutation(
        resolver=check_in_fields.check_in, description="Today's check-in (user)."
    )
    claim_task_reward: ClaimTaskRewardPayload = strawberry.mutation(
        resolver=task_fields.claim_task_reward,
        description="Collect a completed task's reward, once (user).",
    )
    share: SharePayload = strawberry.mutation(
        resolver=share_fields.share, description="A share link that may earn points (user)."
    )
    mark_notifications_read: MarkNotificationsReadPayload = strawberry.mutation(
        resolver=inbox_fields.mark_notifications_read,
        description="Mark some or all notifications read (user).",
    )
    open_share: OpenSharePayload = strawberry.mutation(
        resolver=share_fields.open_share,
        description="Open someone's share link: they may earn a bonus (user).",
    )


@strawberry.type
class Subscription:
    points_changed = strawberry.subscription(
        resolver=account_fields.points_changed,
        description="The caller's points now, then after every change (role user).",
    )
    notifications = strawberry.subscription(
        resolver=inbox_fields.notifications,
        description="The caller's notifications live; with `after`, the missed ones first.",
    )
    review_queued = strawberry.subscription(
        resolver=review_fields.review_queued,
        description="Risk cases as they open and redemptions as they start waiting for "
        "review, live (admin).",
    )


class PointsmallSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors of the request are the client's business; unexpected ones are logged,
        with the request id, where they are masked (`ErrorPolicy`)."""


schema = PointsmallSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[
        Account,
        LedgerEntry,
        Item,
        Audience,
        Campaign,
        RiskCase,
        Redemption,
        Task,
        PointsEarned,
        PointsExpiringSoon,
        RedemptionUpdated,
        TaskCompleted,
        TierChanged,
        TierReviewSoon,
        GiftReceived,
        CampaignStarting,
        PrizeAwarded,
    ],
    extensions=[
        OperationMetrics,
        ErrorPolicy,
        TokenLimit,
        DepthAndAliasLimits,
        CachedParsing,
        CachedValidation,
        ValidText,
        RateLimiting,
    ],
    config=StrawberryConfig(relay_max_results=100),
)
