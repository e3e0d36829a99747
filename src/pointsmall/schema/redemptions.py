"""Redemptions and quotes as clients see them."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from pointsmall.auth import Role
from pointsmall.domain.mall.quotes import Quote
from pointsmall.domain.mall.redemptions import redemptions_page
from pointsmall.models import Redemption as RedemptionModel
from pointsmall.models import RedemptionChange as RedemptionChangeModel
from pointsmall.models import RedemptionStatus
from pointsmall.schema.context import Info
from pointsmall.schema.errors import Forbidden, UserError, user_error
from pointsmall.schema.mall import Cash, Item, items_for
from pointsmall.schema.pagination import connection, decode_cursor, encode_cursor, page_size

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
    _model: strawberry.Private[RedemptionModel]

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
            cash=Cash(amount=redemption.cash_amount, currency=redemption.cash_currency)
            if redemption.cash_amount is not None and redemption.cash_currency
            else None,
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
                name=str(right["name"]),
                days=int(str(right["days"])),
                valid_until=datetime.fromisoformat(str(right["valid_until"])),
            )
            if right
            else None,
            created_at=redemption.created_at,
            updated_at=redemption.updated_at,
            _model=redemption,
        )

    @strawberry.field
    async def item(self, info: Info) -> Item:
        model = await info.context.loaders.item_by_id.load(self._model.item_id)
        assert model is not None  # items are never deleted
        [item] = await items_for(info, [model])
        return item

    @strawberry.field(description="The partner code of a COUPON redemption (the first one).")
    async def coupon_code(self, info: Info) -> str | None:
        codes = await info.context.loaders.coupon_codes.load(self._model.id)
        return codes[0] if codes else None

    @strawberry.field(description="All partner codes of a COUPON redemption, one per unit.")
    async def coupon_codes(self, info: Info) -> list[str]:
        return await info.context.loaders.coupon_codes.load(self._model.id)

    @strawberry.field(description="Every status change (admins only).")
    async def history(self, info: Info) -> list[RedemptionChange]:
        principal = info.context.principal
        if principal is None or not principal.has(Role.ADMIN):
            raise Forbidden("the history is for admins")
        changes = await RedemptionChangeModel.filter(redemption_id=self._model.id).order_by("id")
        return [
            RedemptionChange(
                from_status=change.from_status,
                to_status=change.to_status,
                actor=change.actor,
                actor_role=change.actor_role,
                reason=change.reason,
                created_at=change.created_at,
            )
            for change in changes
        ]


RedemptionConnection = relay.Connection[Redemption]
CURSOR = "redemption"


async def redemption_connection(
    account_id: int | None, status: RedemptionStatus | None, first: int | None, after: str | None
) -> RedemptionConnection:
    size = page_size(first)
    after_keys = decode_cursor(CURSOR, after)
    before_id = after_keys[0] if after_keys else None
    rows = await redemptions_page(
        account_id=account_id, status=status, before_id=before_id, limit=size + 1
    )
    return connection(
        rows,
        [Redemption.from_model(row) for row in rows[:size]],
        size,
        lambda row: encode_cursor(CURSOR, row.id),
        has_previous=before_id is not None,
    )


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
        currency = quote.item.price_cash_currency
        return cls(
            item=item,
            quantity=quote.quantity,
            points=quote.points,
            cash=Cash(amount=quote.cash_amount, currency=currency)
            if quote.cash_amount is not None and currency
            else None,
            balance_after=quote.balance_after,
            points_short=quote.points_short,
            points_used=[
                PointsUse(amount=use.amount, expires_at=use.expires_at) for use in quote.points_used
            ],
            can_redeem=quote.can_redeem,
            problems=[user_error(problem) for problem in quote.problems],
        )
