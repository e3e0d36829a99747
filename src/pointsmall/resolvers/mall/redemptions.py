"""redemptionQuote, redeem, cancelRedemption (user); reviewRedemption, fulfillRedemption,
redemptions (admin); confirmCashPayment (service)."""

from __future__ import annotations

from collections.abc import Sequence

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.dataloaders.mall import RedemptionsPage
from pointsmall.domain.errors import DomainError, NotFound
from pointsmall.domain.mall import redemption_lifecycle as lifecycle
from pointsmall.domain.mall.quotes import quote
from pointsmall.domain.mall.redemption_lifecycle import Tracking
from pointsmall.domain.mall.redemptions import RedeemRequest, ShippingAddress
from pointsmall.domain.mall.redemptions import redeem as redeem_item
from pointsmall.models import Redemption as RedemptionModel
from pointsmall.models import RedemptionStatus
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.context import Info
from pointsmall.schema.errors import BadUserInput, NotFoundError
from pointsmall.schema.mall.items import item_for
from pointsmall.schema.mall.redemptions import (
    CancelRedemptionInput,
    CancelRedemptionPayload,
    ConfirmCashPaymentInput,
    ConfirmCashPaymentPayload,
    FulfillRedemptionInput,
    FulfillRedemptionPayload,
    RedeemInput,
    RedeemPayload,
    Redemption,
    RedemptionConnection,
    RedemptionQuote,
    RedemptionQuoteInput,
    ReviewRedemptionInput,
    ReviewRedemptionPayload,
    ShippingAddressInput,
)
from pointsmall.schema.node import id_of
from pointsmall.schema.pagination import Keyset, each, keyset_page


def shipping_address_of(address: ShippingAddressInput) -> ShippingAddress:
    return ShippingAddress(
        recipient=address.recipient,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        region=address.region,
        postal_code=address.postal_code,
        country=address.country,
    )


def _redemption_id(value: str) -> int:
    return id_of(value, "redemptionId", "Redemption")


async def redemption_quote(info: Info, input: RedemptionQuoteInput) -> RedemptionQuote:
    """Step 1 of 3: the cost, the balance after, the points used and anything in the way."""
    account = await access.viewer_account(info)
    try:
        item_id = id_of(input.item_id, "itemId", "Item")
        result = await quote(
            account, item_id, input.quantity, info.context.viewer_zone, info.context.runtime.rules
        )
    except NotFound as error:
        raise NotFoundError(error.message) from None
    except DomainError as error:  # a malformed request: problems are for valid ones
        raise BadUserInput(error.message) from None
    return RedemptionQuote.from_quote(result, await item_for(info, result.item))


async def redeem(info: Info, input: RedeemInput) -> RedeemPayload:
    """Step 2 of 3 (the payload, and a live notification, are step 3)."""
    principal = access.require(info, Role.USER)

    async def work() -> RedeemPayload:
        address = input.shipping_address
        redemption = await redeem_item(
            RedeemRequest(
                user_id=principal.user_id,
                item_id=id_of(input.item_id, "itemId", "Item"),
                quantity=input.quantity,
                idempotency_key=input.idempotency_key,
                actor=info.context.actor(Role.USER),
                shipping_address=shipping_address_of(address) if address else None,
            ),
            info.context.runtime.gate,
            open_account=lambda: access.viewer_account(info),
            rules=info.context.runtime.rules,
        )
        return RedeemPayload(redemption=Redemption.from_model(redemption))

    return await mutate(info, RedeemPayload, work)


async def cancel_redemption(info: Info, input: CancelRedemptionInput) -> CancelRedemptionPayload:
    """The user, while nothing has been delivered; or an admin, with a reason."""
    as_admin = access.is_admin(info)
    owner = None if as_admin else (await access.viewer_account(info)).id

    async def work() -> CancelRedemptionPayload:
        cancelled = await lifecycle.cancel(
            _redemption_id(input.redemption_id),
            input.reason,
            info.context.actor(Role.ADMIN if as_admin else Role.USER),
            info.context.runtime.rules,
            owner_account_id=owner,
        )
        return CancelRedemptionPayload(redemption=Redemption.from_model(cancelled))

    return await mutate(info, CancelRedemptionPayload, work)


async def review_redemption(info: Info, input: ReviewRedemptionInput) -> ReviewRedemptionPayload:
    access.require(info, Role.ADMIN)

    async def work() -> ReviewRedemptionPayload:
        reviewed = await lifecycle.review(
            _redemption_id(input.redemption_id),
            input.approve,
            input.reason,
            info.context.actor(Role.ADMIN),
            info.context.runtime.rules,
        )
        return ReviewRedemptionPayload(redemption=Redemption.from_model(reviewed))

    return await mutate(info, ReviewRedemptionPayload, work)


async def confirm_cash_payment(
    info: Info, input: ConfirmCashPaymentInput
) -> ConfirmCashPaymentPayload:
    access.require(info, Role.SERVICE)

    async def work() -> ConfirmCashPaymentPayload:
        paid = await lifecycle.confirm_payment(
            _redemption_id(input.redemption_id),
            input.payment_reference,
            info.context.actor(Role.SERVICE),
            info.context.runtime.rules,
        )
        return ConfirmCashPaymentPayload(redemption=Redemption.from_model(paid))

    return await mutate(info, ConfirmCashPaymentPayload, work)


async def fulfill_redemption(info: Info, input: FulfillRedemptionInput) -> FulfillRedemptionPayload:
    """Admins or the shop's back end: SHIPPED (with tracking) or FULFILLED."""
    role = access.acting_role(info, Role.SERVICE, Role.ADMIN)

    async def work() -> FulfillRedemptionPayload:
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
        return FulfillRedemptionPayload(redemption=Redemption.from_model(done))

    return await mutate(info, FulfillRedemptionPayload, work)


async def redemptions(
    info: Info,
    status: RedemptionStatus | None = None,
    first: int | None = 20,
    after: str | None = None,
) -> RedemptionConnection:
    """Everyone's redemptions, newest first; e.g. `status: PENDING_REVIEW` (admin)."""
    access.require(info, Role.ADMIN)
    pages = info.context.loaders.mall.redemption_pages

    async def read(keys: tuple[int, ...] | None, limit: int) -> Sequence[RedemptionModel]:
        return await pages.load(RedemptionsPage(None, status, keys[0] if keys else None, limit))

    keyset = Keyset("redemption", 1, read, lambda row: (row.id,), each(Redemption.from_model))
    return await keyset_page(keyset, first, after)
