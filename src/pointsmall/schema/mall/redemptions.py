"""Redemptions and quotes as clients see them; the redemption mutations' inputs and payloads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

import strawberry
from strawberry import relay

from pointsmall import access
from pointsmall.domain.mall.quotes import Quote
from pointsmall.models import RedemptionStatus
from pointsmall.schema.context import Info
from pointsmall.schema.errors import UserError, user_error
from pointsmall.schema.mall.items import Cash, Item, item_for

if TYPE_CHECKING:
    from pointsmall.models import Redemption as RedemptionModel
    from pointsmall.models import RedemptionChange as RedemptionChangeModel

strawberry.enum(RedemptionStatus, description="Where a redemption is in its life.")


@strawberry.type
class ShippingAddress:
    recipient: str
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str


@strawberry.type
class Tracking:
    carrier: str
    number: str


@strawberry.type(description="A right a VIRTUAL redemption granted.")
class GrantedRight:
    name: str
    days: int
    valid_until: datetime


@strawberry.type(description="One status change, with who made it and why (admins only).")
class RedemptionChange:
    from_status: RedemptionStatus | None
    to_status: RedemptionStatus
    actor: str
    actor_role: str
    reason: str | None
    created_at: datetime

    @classmethod
    def from_model(cls, change: RedemptionChangeModel) -> Self:
        return cls(
            from_status=change.from_status,
            to_status=change.to_status,
            actor=change.actor,
            actor_role=change.actor_role,
            reason=change.reason,
            created_at=change.created_at,
        )


@strawberry.type(description="A redemption of an item by a user.")
class Redemption(relay.Node):
    id: relay.NodeID[int]
    status: RedemptionStatus
    quantity: int
    points: int
    cash: Cash | None
    status_reason: str | None = strawberry.field(description="Why it last changed, if said.")
    payment_due_at: datetime | None = strawberry.field(
        description="AWAITING_PAYMENT: the cash part must be paid by then or it is cancelled."
    )
    shipping_address: ShippingAddress | None
    tracking: Tracking | None
    virtual_right: GrantedRight | None
    created_at: datetime
    updated_at: datetime
    _item_id: strawberry.Private[int]
    _account_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, redemption: RedemptionModel) -> Self:
        address = redemption.shipping_address
        tracking = redemption.tracking
        right = redemption.virtual_right
        return cls(
            id=redemption.id,
            status=redemption.status,
            quantity=redemption.quantity,
            points=redemption.points,
            cash=Cash.of(redemption.cash_amount, redemption.cash_currency),
            status_reason=redemption.status_reason,
            payment_due_at=redemption.payment_due_at,
            shipping_address=ShippingAddress(
                recipient=address["recipient"],
                line1=address["line1"],
                line2=address.get("line2"),
                city=address["city"],
                region=address.get("region"),
                postal_code=address["postal_code"],
                country=address["country"],
            )
            if address
            else None,
            tracking=Tracking(carrier=tracking["carrier"], number=tracking["number"])
            if tracking
            else None,
            virtual_right=GrantedRight(
                name=right["name"],
                days=right["days"],
                valid_until=datetime.fromisoformat(right["valid_until"]),
            )
            if right
            else None,
            created_at=redemption.created_at,
            updated_at=redemption.updated_at,
            _item_id=redemption.item_id,
            _account_id=redemption.account_id,
        )

    @strawberry.field(description="Who redeemed (the shop's user id).")
    async def user_id(self, info: Info) -> str:
        account = await info.context.loaders.ledger.account.load(self._account_id)
        assert account is not None  # accounts are never deleted
        return account.user_id

    @strawberry.field
    async def item(self, info: Info) -> Item:
        model = await info.context.loaders.mall.item.load(self._item_id)
        assert model is not None  # items are never deleted
        return await item_for(info, model)

    @strawberry.field(description="The partner code of a COUPON redemption (the first one).")
    async def coupon_code(self, info: Info) -> str | None:
        codes = await info.context.loaders.mall.coupon_codes.load(self.id)
        return codes[0] if codes else None

    @strawberry.field(description="All partner codes of a COUPON redemption, one per unit.")
    async def coupon_codes(self, info: Info) -> list[str]:
        return await info.context.loaders.mall.coupon_codes.load(self.id)

    @strawberry.field(description="Every status change (admins only).")
    async def history(self, info: Info) -> list[RedemptionChange]:
        access.require_admin(info, "the history")
        changes = await info.context.loaders.mall.history.load(self.id)
        return [RedemptionChange.from_model(change) for change in changes]


RedemptionConnection = relay.Connection[Redemption]


@strawberry.type(description="Points a redemption would use, by expiry.")
class PointsUse:
    amount: int
    expires_at: datetime


@strawberry.type(description="What a redemption would cost and take, and what would block it.")
class RedemptionQuote:
    item: Item
    quantity: int
    points: int
    cash: Cash | None
    balance_after: int | None = strawberry.field(
        description="Spendable points after redeeming; null when there are not enough."
    )
    points_short: int = strawberry.field(description="Points still missing (0: enough).")
    points_used: list[PointsUse]
    can_redeem: bool
    problems: list[UserError]

    @classmethod
    def from_quote(cls, quote: Quote, item: Item) -> Self:
        return cls(
            item=item,
            quantity=quote.quantity,
            points=quote.points,
            cash=Cash.of(quote.cash_amount, quote.item.price_cash_currency),
            balance_after=quote.balance_after,
            points_short=quote.points_short,
            points_used=[
                PointsUse(amount=use.amount, expires_at=use.expires_at) for use in quote.points_used
            ],
            can_redeem=quote.can_redeem,
            problems=[user_error(problem) for problem in quote.problems],
        )


@strawberry.input
class RedemptionQuoteInput:
    item_id: strawberry.ID
    quantity: int = 1


@strawberry.input(description="Where a physical item goes (kept for delivery only).")
class ShippingAddressInput:
    recipient: str
    line1: str
    city: str
    postal_code: str
    country: str = strawberry.field(description="ISO 3166 two-letter code.")
    line2: str | None = None
    region: str | None = None


@strawberry.input
class RedeemInput:
    item_id: strawberry.ID
    idempotency_key: str
    quantity: int = 1
    shipping_address: ShippingAddressInput | None = None


@strawberry.input
class ReviewRedemptionInput:
    redemption_id: strawberry.ID
    approve: bool
    reason: str | None = strawberry.field(default=None, description="Required to reject.")


@strawberry.input
class ConfirmCashPaymentInput:
    redemption_id: strawberry.ID
    payment_reference: str


@strawberry.input
class FulfillRedemptionInput:
    redemption_id: strawberry.ID
    status: RedemptionStatus = strawberry.field(description="SHIPPED or FULFILLED.")
    carrier: str | None = None
    tracking_number: str | None = None
    note: str | None = None


@strawberry.input
class CancelRedemptionInput:
    redemption_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Required of admins.")


@strawberry.type
class RedeemPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReviewRedemptionPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfirmCashPaymentPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FulfillRedemptionPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CancelRedemptionPayload:
    redemption: Redemption | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
