"""The one Schema: queries, mutations and subscriptions of every domain, with their limits."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.schema.config import StrawberryConfig

from pointsmall.resolvers import (
    accounts,
    engagement,
    ledger,
    mall,
    node,
    notifications,
    redemptions,
)
from pointsmall.schema.account_mutations import (
    FreezeAccountPayload,
    UnfreezeAccountPayload,
    UpsertUserPayload,
)
from pointsmall.schema.accounts import Account
from pointsmall.schema.engagement import EarningRate, Leaderboard, Task
from pointsmall.schema.engagement_mutations import (
    ArchiveTaskPayload,
    CheckInPayload,
    ClaimTaskRewardPayload,
    CreateTaskPayload,
    OpenSharePayload,
    RecordEventPayload,
    RecordOrderPayload,
    RefundOrderPayload,
    SetEarningRatePayload,
    SharePayload,
    UpdateTaskPayload,
)
from pointsmall.schema.errors import ErrorPolicy
from pointsmall.schema.ledger import LedgerEntry
from pointsmall.schema.ledger_mutations import (
    AdjustPointsPayload,
    ForfeitPointsPayload,
    GrantPointsPayload,
    ReverseEntryPayload,
)
from pointsmall.schema.limits import (
    CachedParsing,
    CachedValidation,
    DepthAndAliasLimits,
    TokenLimit,
    ValidText,
)
from pointsmall.schema.mall import Item, ItemConnection, Mall
from pointsmall.schema.mall_mutations import (
    AddCouponCodesPayload,
    ArchiveItemPayload,
    CancelRedemptionPayload,
    ConfirmCashPaymentPayload,
    CreateItemPayload,
    FulfillRedemptionPayload,
    RedeemPayload,
    RestockItemPayload,
    ReviewRedemptionPayload,
    UpdateItemPayload,
)
from pointsmall.schema.notifications import (
    MarkNotificationsReadPayload,
    PointsEarned,
    PointsExpiringSoon,
    RedemptionUpdated,
    TaskCompleted,
)
from pointsmall.schema.rate_limits import RateLimiting
from pointsmall.schema.redemptions import Redemption, RedemptionConnection, RedemptionQuote


@strawberry.type
class Query:
    me: Account = strawberry.field(
        resolver=accounts.me, description="The calling user's account (role user)."
    )
    account: Account | None = strawberry.field(
        resolver=accounts.account, description="Any user's account by the shop's user id (admin)."
    )
    node: relay.Node | None = strawberry.field(
        resolver=node.node, description="Any object you may see, by its global ID."
    )
    items: ItemConnection = strawberry.field(
        resolver=mall.items, description="The catalogue, by sort weight then newest."
    )
    item: Item | None = strawberry.field(resolver=mall.item, description="One item by its ID.")
    mall: Mall = strawberry.field(
        resolver=mall.mall, description="The personalised home screen's cards."
    )
    redemption_quote: RedemptionQuote = strawberry.field(
        resolver=redemptions.redemption_quote,
        description="Step 1 of redeeming: cost, balance after, points used, problems (user).",
    )
    redemptions: RedemptionConnection = strawberry.field(
        resolver=redemptions.redemptions,
        description="Everyone's redemptions, e.g. the review queue (admin).",
    )
    leaderboard: Leaderboard = strawberry.field(
        resolver=engagement.leaderboard,
        description="Points earned in the period: nicknames and points only.",
    )
    tasks: list[Task] = strawberry.field(
        resolver=engagement.all_tasks, description="Every task, as ops see them (admin)."
    )
    earning_rates: list[EarningRate] = strawberry.field(
        resolver=engagement.earning_rates, description="Earning rates by category (admin)."
    )


@strawberry.type
class Mutation:
    grant_points: GrantPointsPayload = strawberry.mutation(
        resolver=ledger.grant_points, description="Credit a user's points (service)."
    )
    upsert_user: UpsertUserPayload = strawberry.mutation(
        resolver=accounts.upsert_user, description="Create or update a user's profile (service)."
    )
    adjust_points: AdjustPointsPayload = strawberry.mutation(
        resolver=ledger.adjust_points, description="Correct a user's points, with a reason (admin)."
    )
    forfeit_points: ForfeitPointsPayload = strawberry.mutation(
        resolver=ledger.forfeit_points, description="Remove all of a user's points (admin)."
    )
    reverse_entry: ReverseEntryPayload = strawberry.mutation(
        resolver=ledger.reverse_entry, description="Give back all or part of a debit (admin)."
    )
    freeze_account: FreezeAccountPayload = strawberry.mutation(
        resolver=accounts.freeze_account,
        description="Stop an account from spending or holding points (admin).",
    )
    unfreeze_account: UnfreezeAccountPayload = strawberry.mutation(
        resolver=accounts.unfreeze_account, description="Lift a freeze (admin)."
    )
    create_item: CreateItemPayload = strawberry.mutation(
        resolver=mall.create_item, description="Add an item to the catalogue (admin)."
    )
    update_item: UpdateItemPayload = strawberry.mutation(
        resolver=mall.update_item, description="Change an item (admin)."
    )
    archive_item: ArchiveItemPayload = strawberry.mutation(
        resolver=mall.archive_item, description="Take an item out of the mall (admin)."
    )
    restock_item: RestockItemPayload = strawberry.mutation(
        resolver=mall.restock_item, description="Add stock, once per key (admin)."
    )
    add_coupon_codes: AddCouponCodesPayload = strawberry.mutation(
        resolver=mall.add_coupon_codes, description="Fill a coupon item's code pool (admin)."
    )
    redeem: RedeemPayload = strawberry.mutation(
        resolver=redemptions.redeem, description="Step 2 of redeeming: redeem an item (user)."
    )
    cancel_redemption: CancelRedemptionPayload = strawberry.mutation(
        resolver=redemptions.cancel_redemption,
        description="Cancel and refund (the user before delivery, or an admin).",
    )
    review_redemption: ReviewRedemptionPayload = strawberry.mutation(
        resolver=redemptions.review_redemption,
        description="Approve or reject a high-value redemption (admin).",
    )
    confirm_cash_payment: ConfirmCashPaymentPayload = strawberry.mutation(
        resolver=redemptions.confirm_cash_payment,
        description="The cash part of a redemption was paid (service).",
    )
    fulfill_redemption: FulfillRedemptionPayload = strawberry.mutation(
        resolver=redemptions.fulfill_redemption,
        description="Mark a redemption SHIPPED or FULFILLED (admin or service).",
    )
    record_order: RecordOrderPayload = strawberry.mutation(
        resolver=engagement.record_order,
        description="Award a paid order's points, pending for the return window (service).",
    )
    refund_order: RefundOrderPayload = strawberry.mutation(
        resolver=engagement.refund_order,
        description="Take back the points of refunded order lines (service).",
    )
    record_event: RecordEventPayload = strawberry.mutation(
        resolver=engagement.record_event,
        description="A behaviour event that counts towards tasks (service).",
    )
    create_task: CreateTaskPayload = strawberry.mutation(
        resolver=engagement.create_task, description="Add a task (admin)."
    )
    update_task: UpdateTaskPayload = strawberry.mutation(
        resolver=engagement.update_task, description="Change a task (admin)."
    )
    archive_task: ArchiveTaskPayload = strawberry.mutation(
        resolver=engagement.archive_task, description="End a task (admin)."
    )
    set_earning_rate: SetEarningRatePayload = strawberry.mutation(
        resolver=engagement.set_earning_rate,
        description="Points per order line of a category, in percent (admin).",
    )
    check_in: CheckInPayload = strawberry.mutation(
        resolver=engagement.check_in, description="Today's check-in (user)."
    )
    claim_task_reward: ClaimTaskRewardPayload = strawberry.mutation(
        resolver=engagement.claim_task_reward,
        description="Collect a completed task's reward, once (user).",
    )
    share: SharePayload = strawberry.mutation(
        resolver=engagement.share, description="A share link that may earn points (user)."
    )
    mark_notifications_read: MarkNotificationsReadPayload = strawberry.mutation(
        resolver=notifications.mark_notifications_read,
        description="Mark some or all notifications read (user).",
    )
    open_share: OpenSharePayload = strawberry.mutation(
        resolver=engagement.open_share,
        description="Open someone's share link: they may earn a bonus (user).",
    )


@strawberry.type
class Subscription:
    points_changed = strawberry.subscription(
        resolver=accounts.points_changed,
        description="The caller's points now, then after every change (role user).",
    )
    notifications = strawberry.subscription(
        resolver=notifications.notifications,
        description="The caller's notifications live; with `after`, the missed ones first.",
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
        Redemption,
        Task,
        PointsEarned,
        PointsExpiringSoon,
        RedemptionUpdated,
        TaskCompleted,
    ],
    extensions=[
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
