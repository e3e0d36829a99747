"""redemptionQuote, redeem, cancelRedemption (user); reviewRedemption, fulfillRedemption,
redemptions (admin); confirmCashPayment (service)."""

from __future__ import annotations

from typing import Any

import strawberry

from pointsmall.auth import Role
from pointsmall.domain.errors import DomainError, NotFound
from pointsmall.domain.mall import redemption_lifecycle as lifecycle
from pointsmall.domain.mall.quotes import quote
from pointsmall.domain.mall.redemption_lifecycle import Tracking
from pointsmall.domain.mall.redemptions import (
    RedeemRequest,
    ShippingAddress,
)
from pointsmall.domain.mall.redemptions import redeem as redeem_item
from pointsmall.models import Redemption as RedemptionModel
from pointsmall.models import RedemptionStatus
from pointsmall.resolvers.access import mutate, require, viewer_account
from pointsmall.schema.context import Info
from pointsmall.schema.errors import BadUserInput, NotFoundError
from pointsmall.schema.mall import items_for
from pointsmall.schema.mall_mutations import (
    CancelRedemptionInput,
    CancelRedemptionPayload,
    ConfirmCashPaymentInput,
    ConfirmCashPaymentPayload,
    FulfillRedemptionInput,
    FulfillRedemptionPayload,
    RedeemInput,
    RedeemPayload,
    RedemptionQuoteInput,
    ReviewRedemptionInput,
    ReviewRedemptionPayload,
)
from pointsmall.schema.node import parse_global_id
from pointsmall.schema.redemptions import (
    Redemption,
    RedemptionConnection,
    RedemptionQuote,
    redemption_connection,
)


def _item_id(value: strawberry.ID) -> int:
    return parse_global_id(str(value), "itemId", "Item")[1]


def _redemption_id(value: strawberry.ID) -> int:
    return parse_global_id(str(value), "redemptionId", "Redemption")[1]


async def redemption_quote(info: Info, input: RedemptionQuoteInput) -> RedemptionQuote:
    """Step 1 of 3: the cost, the balance after, the points used and anything in the way."""
    account = await viewer_account(info)
    try:
        result = await quote(
            account, _item_id(input.item_id), input.quantity, info.context.viewer_zone
        )
    except NotFound as error:
        raise NotFoundError(error.message) from None
    except DomainError as error:  # a malformed request: problems are for valid ones
        raise BadUserInput(error.message) from None
    [item] = await items_for(info, [result.item])
    return RedemptionQuote.from_quote(result, item)


async def redeem(info: Info, input: RedeemInput) -> RedeemPayload:
    """Step 2 of 3 (the payload, and a live notification, are step 3)."""
    principal = require(info, Role.USER)

    async def work() -> dict[str, Any]:
        address = input.shipping_address
        redemption = await redeem_item(
            RedeemRequest(
                user_id=principal.user_id,
                item_id=_item_id(input.item_id),
                quantity=input.quantity,
                idempotency_key=input.idempotency_key,
                actor=info.context.actor(Role.USER),
                shipping_address=ShippingAddress(
                    recipient=address.recipient,
                    line1=address.line1,
                    line2=address.line2,
                    city=address.city,
                    region=address.region,
                    postal_code=address.postal_code,
                    country=address.country,
                )
                if address
                else None,
            ),
            info.context.runtime.gate,
            open_account=lambda: viewer_account(info),
            rules=info.context.runtime.rules,
        )
        return {"redemption": Redemption.from_model(redemption)}

    return await mutate(RedeemPayload, work)


async def cancel_redemption(info: Info, input: CancelRedemptionInput) -> CancelRedemptionPayload:
    """The user, while nothing has been delivered; or an admin, with a reason."""
    principal = info.context.principal
    as_admin = principal is not None and principal.has(Role.ADMIN)
    owner = None if as_admin else (await viewer_account(info)).id

    async def work() -> dict[str, Any]:
        cancelled = await lifecycle.cancel(
            _redemption_id(input.redemption_id),
            input.reason,
            info.context.actor(Role.ADMIN if as_admin else Role.USER),
            info.context.runtime.rules,
            owner_account_id=owner,
        )
        return {"redemption": Redemption.from_model(cancelled)}

    return await mutate(CancelRedemptionPayload, work)


async def review_redemption(info: Info, input: ReviewRedemptionInput) -> ReviewRedemptionPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        reviewed = await lifecycle.review(
            _redemption_id(input.redemption_id),
            input.approve,
            input.reason,
            info.context.actor(Role.ADMIN),
            info.context.runtime.rules,
        )
        return {"redemption": Redemption.from_model(reviewed)}

    return await mutate(ReviewRedemptionPayload, work)


async def confirm_cash_payment(
    info: Info, input: ConfirmCashPaymentInput
) -> ConfirmCashPaymentPayload:
    require(info, Role.SERVICE)

    async def work() -> dict[str, Any]:
        paid = await lifecycle.confirm_payment(
            _redemption_id(input.redemption_id),
            input.payment_reference,
            info.context.actor(Role.SERVICE),
            info.context.runtime.rules,
        )
        return {"redemption": Redemption.from_model(paid)}

    return await mutate(ConfirmCashPaymentPayload, work)


async def fulfill_redemption(info: Info, input: FulfillRedemptionInput) -> FulfillRedemptionPayload:
    """Admins or the shop's back end: SHIPPED (with tracking) or FULFILLED."""
    principal = info.context.principal
    role = Role.SERVICE if principal is not None and principal.has(Role.SERVICE) else Role.ADMIN
    require(info, role)

    async def work() -> dict[str, Any]:
        tracking = (
            Tracking(input.carrier or "", input.tracking_number or "")
            if input.carrier or input.tracking_number
            else None
        )
        done = await lifecycle.fulfil(
            _redemption_id(input.redemption_id),
            input.status,
            tracking,
            input.note,
            info.context.actor(role),
            info.context.runtime.rules,
        )
        return {"redemption": Redemption.from_model(done)}

    return await mutate(FulfillRedemptionPayload, work)


async def redemptions(
    info: Info,
    status: RedemptionStatus | None = None,
    first: int | None = 20,
    after: str | None = None,
) -> RedemptionConnection:
    """Everyone's redemptions, newest first; e.g. `status: PENDING_REVIEW` (admin)."""
    require(info, Role.ADMIN)
    return await redemption_connection(None, status, first, after)


async def redemption_for(info: Info, redemption_id: int) -> RedemptionModel | None:
    """A redemption the caller may see: their own, or any for admins."""
    principal = info.context.principal
    found = await RedemptionModel.get_or_none(id=redemption_id)
    if found is None or principal is None:
        return None
    if principal.has(Role.ADMIN):
        return found
    if principal.has(Role.USER) and found.account_id == (await viewer_account(info)).id:
        return found
    return None
