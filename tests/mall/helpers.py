"""Building blocks for mall tests: items made by an admin, points granted by the shop."""

from __future__ import annotations

from typing import Any

from pointsmall.schema.node import parse_global_id
from tests.api import Api

ITEM_FIELDS = """id kind title category tags pricePoints priceCash { amount currency } stock
  remainingStock perUserQuota quotaWindow saleStartsAt saleEndsAt limited highValue status
  onSale affordable pointsShort quotaLeft requiresShippingAddress virtualRight { name days }"""
CREATE_ITEM = f"""mutation($input: CreateItemInput!) {{ createItem(input: $input) {{
  item {{ {ITEM_FIELDS} }} errors {{ code message field }} }} }}"""
REDEMPTION_FIELDS = """id status quantity points cash { amount currency } couponCode couponCodes
  virtualRight { name days validUntil } tracking { carrier number } statusReason paymentDueAt
  item { id title remainingStock }"""
REDEEM = f"""mutation($input: RedeemInput!) {{ redeem(input: $input) {{
  redemption {{ {REDEMPTION_FIELDS} }} errors {{ code message field }} }} }}"""
QUOTE = """query($input: RedemptionQuoteInput!) { redemptionQuote(input: $input) {
  quantity points cash { amount currency } balanceAfter pointsShort pointsUsed { amount expiresAt }
  canRedeem problems { code message field } item { id title } } }"""
CANCEL = f"""mutation($input: CancelRedemptionInput!) {{ cancelRedemption(input: $input) {{
  redemption {{ {REDEMPTION_FIELDS} }} errors {{ code message field }} }} }}"""
REVIEW = f"""mutation($input: ReviewRedemptionInput!) {{ reviewRedemption(input: $input) {{
  redemption {{ {REDEMPTION_FIELDS} }} errors {{ code message field }} }} }}"""
PAY = f"""mutation($input: ConfirmCashPaymentInput!) {{ confirmCashPayment(input: $input) {{
  redemption {{ {REDEMPTION_FIELDS} }} errors {{ code message field }} }} }}"""
FULFILL = f"""mutation($input: FulfillRedemptionInput!) {{ fulfillRedemption(input: $input) {{
  redemption {{ {REDEMPTION_FIELDS} }} errors {{ code message field }} }} }}"""
CODES = """mutation($input: AddCouponCodesInput!) { addCouponCodes(input: $input) {
  item { stock remainingStock } added duplicates errors { code field } } }"""
GRANT = """mutation($input: GrantPointsInput!) { grantPoints(input: $input) { errors { code } } }"""
POINTS = "{ me { points { balance pending held } } }"
ADDRESS = {
    "recipient": "Mei Chen",
    "line1": "88 Garden Road",
    "city": "Hangzhou",
    "postalCode": "310000",
    "country": "cn",
}


def item_input(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "VIRTUAL",
        "title": "Gold membership, 30 days",
        "category": "membership",
        "pricePoints": 100,
        "status": "ACTIVE",
        "virtualRight": {"name": "Gold", "days": 30},
        **overrides,
    }


async def create_item(api: Api, **overrides: Any) -> dict[str, Any]:
    result = await api.data(CREATE_ITEM, api.admin(), input=item_input(**overrides))
    assert result["createItem"]["errors"] == [], result
    item: dict[str, Any] = result["createItem"]["item"]
    return item


async def grant(api: Api, user: str, amount: int, key: str | None = None, **extra: Any) -> None:
    result = await api.data(
        GRANT,
        api.service(),
        input={
            "userId": user,
            "amount": amount,
            "reason": "test grant",
            "idempotencyKey": key or f"grant-{user}-{amount}",
            **extra,
        },
    )
    assert result["grantPoints"]["errors"] == [], result


async def redeem(api: Api, user: str, item_id: str, key: str, **extra: Any) -> dict[str, Any]:
    result = await api.data(
        REDEEM, api.user(user), input={"itemId": item_id, "idempotencyKey": key, **extra}
    )
    payload: dict[str, Any] = result["redeem"]
    return payload


async def balance(api: Api, user: str) -> dict[str, int]:
    points: dict[str, int] = (await api.data(POINTS, api.user(user)))["me"]["points"]
    return points


def db_id(global_id: str) -> int:
    """The database id inside a global ID."""
    return parse_global_id(global_id, "id")[1]
