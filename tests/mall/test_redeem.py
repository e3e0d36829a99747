"""Quote, redeem, confirm: three round trips or fewer, and every way it can say no."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.actors import SYSTEM
from pointsmall.domain.mall.redemption_lifecycle import lapse_unpaid
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.mall.helpers import (
    ADDRESS,
    CANCEL,
    FULFILL,
    PAY,
    QUOTE,
    REVIEW,
    balance,
    create_item,
    grant,
    redeem,
)

ADMIN_FREEZE = """mutation($input: FreezeAccountInput!) { freezeAccount(input: $input) {
  errors { code } } }"""
MY_REDEMPTIONS = (
    """{ me { redemptions(first: 10) { edges { node { id status item { title } } } } } }"""
)
NODE = "query($id: ID!) { node(id: $id) { id ... on Redemption { status } } }"


async def test_quote_then_redeem_in_two_round_trips(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 100, "soon", expiresAt=(clock.now() + timedelta(days=5)).isoformat())
    await grant(api, "mei", 400, "later")
    item = await create_item(api, pricePoints=150, stock=10)
    quote = await api.data(QUOTE, api.user("mei"), input={"itemId": item["id"], "quantity": 2})
    quote = quote["redemptionQuote"]
    assert (quote["points"], quote["balanceAfter"], quote["canRedeem"]) == (300, 200, True)
    assert [use["amount"] for use in quote["pointsUsed"]] == [100, 200]  # earliest expiry first
    assert quote["problems"] == []
    payload = await redeem(api, "mei", item["id"], "r1", quantity=2)
    assert payload["errors"] == []
    redemption = payload["redemption"]
    assert (redemption["status"], redemption["points"]) == ("CONFIRMED", 300)
    assert redemption["virtualRight"]["days"] == 60
    assert redemption["item"]["remainingStock"] == 8
    assert (await balance(api, "mei"))["balance"] == 200
    listed = (await api.data(MY_REDEMPTIONS, api.user("mei")))["me"]["redemptions"]["edges"]
    assert [edge["node"]["id"] for edge in listed] == [redemption["id"]]


async def test_a_short_quote_says_how_many_points_are_missing(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "mei", 150)
    item = await create_item(api, pricePoints=100)
    quote = await api.data(QUOTE, api.user("mei"), input={"itemId": item["id"], "quantity": 2})
    quote = quote["redemptionQuote"]
    assert (quote["points"], quote["pointsShort"], quote["balanceAfter"]) == (200, 50, None)
    [problem] = quote["problems"]
    assert problem["code"] == "INSUFFICIENT_POINTS"
    assert problem["field"] is None  # the input is fine: the user is short of points
    assert "50 more" in problem["message"]


async def test_the_quote_lists_every_problem(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 50)
    item = await create_item(api, pricePoints=100, stock=1, perUserQuota=1)
    await api.data(ADMIN_FREEZE, api.admin(), input={"userId": "mei", "reason": "review"})
    quote = await api.data(QUOTE, api.user("mei"), input={"itemId": item["id"], "quantity": 2})
    codes = {problem["code"] for problem in quote["redemptionQuote"]["problems"]}
    assert codes == {"ACCOUNT_FROZEN", "OUT_OF_STOCK", "QUOTA_EXCEEDED", "INSUFFICIENT_POINTS"}
    assert quote["redemptionQuote"]["canRedeem"] is False
    zero = {"itemId": item["id"], "quantity": 0}
    assert await api.error_code(QUOTE, api.user("mei"), input=zero) == "BAD_USER_INPUT"
    missing = {"itemId": "SXRlbTo5OTk5", "quantity": 1}
    assert await api.error_code(QUOTE, api.user("mei"), input=missing) == "NOT_FOUND"


async def test_every_refusal_has_its_code_and_takes_nothing(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 1_000)
    cheap = await create_item(api, pricePoints=10, stock=1, perUserQuota=1)
    dear = await create_item(api, pricePoints=5_000)
    later = await create_item(api, saleStartsAt=(clock.now() + timedelta(days=1)).isoformat())
    physical = await create_item(api, kind="PHYSICAL", virtualRight=None, pricePoints=10)
    assert (await redeem(api, "mei", cheap["id"], "a"))["errors"] == []
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        (dear["id"], "b", {}, "INSUFFICIENT_POINTS"),
        (cheap["id"], "c", {}, "OUT_OF_STOCK"),
        (later["id"], "d", {}, "NOT_ON_SALE"),
        (physical["id"], "e", {}, "INVALID_VALUE"),  # no shipping address
        (
            physical["id"],
            "f",
            {"shippingAddress": {**ADDRESS, "country": "China"}},
            "INVALID_VALUE",
        ),
        (dear["id"], "g", {"quantity": 0}, "INVALID_VALUE"),
        ("SXRlbTo5OTk5", "h", {}, "NOT_FOUND"),
        (cheap["id"], "a", {"quantity": 2}, "IDEMPOTENCY_CONFLICT"),
    ]
    for item_id, key, extra, code in cases:
        payload = await redeem(api, "mei", item_id, key, **extra)
        assert [error["code"] for error in payload["errors"]] == [code], (key, payload)
        assert payload["redemption"] is None
    assert (await balance(api, "mei"))["balance"] == 990
    quota = await create_item(api, pricePoints=1, perUserQuota=1)
    await redeem(api, "mei", quota["id"], "q1")
    assert (await redeem(api, "mei", quota["id"], "q2"))["errors"][0]["code"] == "QUOTA_EXCEEDED"
    await api.data(ADMIN_FREEZE, api.admin(), input={"userId": "mei", "reason": "review"})
    assert (await redeem(api, "mei", dear["id"], "z"))["errors"][0]["code"] == "ACCOUNT_FROZEN"


async def test_a_retried_redeem_charges_once(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 300)
    item = await create_item(api, pricePoints=100, stock=5)
    first = await redeem(api, "mei", item["id"], "same")
    again = await redeem(api, "mei", item["id"], "same")
    assert again["redemption"]["id"] == first["redemption"]["id"]
    assert (await balance(api, "mei"))["balance"] == 200


async def test_physical_items_ship_with_tracking_and_the_address_stays_private(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "mei", 500)
    item = await create_item(api, kind="PHYSICAL", virtualRight=None, pricePoints=200, stock=3)
    payload = await redeem(api, "mei", item["id"], "r1", shippingAddress=ADDRESS)
    redemption_id = payload["redemption"]["id"]
    address_query = """query($id: ID!) { node(id: $id) {
      ... on Redemption { shippingAddress { city country } } } }"""
    own = await api.data(address_query, api.user("mei"), id=redemption_id)
    assert own["node"]["shippingAddress"] == {"city": "Hangzhou", "country": "CN"}
    assert (
        await api.error_code(address_query, api.user("someone-else"), id=redemption_id)
        == "NOT_FOUND"
    )
    no_tracking = await api.data(
        FULFILL, api.admin(), input={"redemptionId": redemption_id, "status": "SHIPPED"}
    )
    assert no_tracking["fulfillRedemption"]["errors"][0]["field"] == ["input", "tracking"]
    shipped = await api.data(
        FULFILL,
        api.service(),
        input={
            "redemptionId": redemption_id,
            "status": "SHIPPED",
            "carrier": "SF Express",
            "trackingNumber": "SF123",
        },
    )
    assert shipped["fulfillRedemption"]["redemption"]["tracking"] == {
        "carrier": "SF Express",
        "number": "SF123",
    }
    late = await api.data(CANCEL, api.user("mei"), input={"redemptionId": redemption_id})
    assert late["cancelRedemption"]["errors"][0]["code"] == "INVALID_STATE"
    done = await api.data(
        FULFILL, api.admin(), input={"redemptionId": redemption_id, "status": "FULFILLED"}
    )
    assert done["fulfillRedemption"]["redemption"]["status"] == "FULFILLED"


async def test_cancelling_refunds_points_to_their_lots_and_returns_stock_and_quota(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "mei", 300, "short", expiresAt=(clock.now() + timedelta(days=3)).isoformat())
    item = await create_item(
        api, kind="PHYSICAL", virtualRight=None, pricePoints=300, stock=1, perUserQuota=1
    )
    payload = await redeem(api, "mei", item["id"], "r1", shippingAddress=ADDRESS)
    assert (await balance(api, "mei"))["balance"] == 0
    cancelled = await api.data(
        CANCEL,
        api.user("mei"),
        input={"redemptionId": payload["redemption"]["id"], "reason": "changed my mind"},
    )
    redemption = cancelled["cancelRedemption"]["redemption"]
    assert redemption["status"] == "REFUNDED"
    assert redemption["item"]["remainingStock"] == 1
    assert (await balance(api, "mei"))["balance"] == 300
    expiring = "{ me { points { nextExpiry { amount expiresAt } } } }"
    next_expiry = (await api.data(expiring, api.user("mei")))["me"]["points"]["nextExpiry"]
    assert next_expiry["amount"] == 300  # back in the original, short-lived lot
    again = await redeem(api, "mei", item["id"], "r2", shippingAddress=ADDRESS)
    assert again["errors"] == []  # stock and quota came back


async def test_coupons_give_each_unit_its_own_code(api: Api, clock: MovableClock) -> None:
    coupon = await create_item(api, kind="COUPON", virtualRight=None, pricePoints=10)
    await api.data(
        """mutation($input: AddCouponCodesInput!) { addCouponCodes(input: $input) {
      errors { code } } }""",
        api.admin(),
        input={"itemId": coupon["id"], "codes": ["C1", "C2", "C3"]},
    )
    await grant(api, "mei", 100)
    await grant(api, "ana", 100)
    first = (await redeem(api, "mei", coupon["id"], "r1", quantity=2))["redemption"]
    second = (await redeem(api, "ana", coupon["id"], "r2"))["redemption"]
    codes = first["couponCodes"] + second["couponCodes"]
    assert sorted(codes) == ["C1", "C2", "C3"] and first["couponCode"] == codes[0]
    assert (await redeem(api, "ana", coupon["id"], "r3"))["errors"][0]["code"] == "OUT_OF_STOCK"
    refused = await api.data(CANCEL, api.user("mei"), input={"redemptionId": first["id"]})
    assert refused["cancelRedemption"]["errors"][0]["code"] == "INVALID_STATE"
    refunded = await api.data(
        CANCEL, api.admin(), input={"redemptionId": first["id"], "reason": "partner outage"}
    )
    assert refunded["cancelRedemption"]["redemption"]["status"] == "REFUNDED"
    assert (
        refunded["cancelRedemption"]["redemption"]["item"]["remainingStock"] == 0
    )  # shown codes stay used


async def test_high_value_redemptions_wait_for_review(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 10_000)
    item = await create_item(
        api, kind="PHYSICAL", virtualRight=None, pricePoints=8_000, highValue=True, stock=2
    )
    approved = (await redeem(api, "mei", item["id"], "r1", shippingAddress=ADDRESS))["redemption"]
    assert approved["status"] == "PENDING_REVIEW"
    assert await balance(api, "mei") == {"balance": 2_000, "pending": 0, "held": 8_000}
    result = await api.data(
        REVIEW, api.admin(), input={"redemptionId": approved["id"], "approve": True}
    )
    assert result["reviewRedemption"]["redemption"]["status"] == "CONFIRMED"
    assert await balance(api, "mei") == {"balance": 2_000, "pending": 0, "held": 0}

    await grant(api, "mei", 8_000, "more")
    rejected = (await redeem(api, "mei", item["id"], "r2", shippingAddress=ADDRESS))["redemption"]
    no_reason = await api.data(
        REVIEW, api.admin(), input={"redemptionId": rejected["id"], "approve": False}
    )
    assert no_reason["reviewRedemption"]["errors"][0]["field"] == ["input", "reason"]
    result = await api.data(
        REVIEW,
        api.admin(),
        input={"redemptionId": rejected["id"], "approve": False, "reason": "suspicious"},
    )
    redemption = result["reviewRedemption"]["redemption"]
    assert (redemption["status"], redemption["statusReason"]) == ("CANCELLED", "suspicious")
    assert redemption["item"]["remainingStock"] == 1
    assert await balance(api, "mei") == {"balance": 10_000, "pending": 0, "held": 0}
    twice = await api.data(
        REVIEW, api.admin(), input={"redemptionId": rejected["id"], "approve": True}
    )
    assert twice["reviewRedemption"]["errors"][0]["code"] == "INVALID_STATE"


async def test_points_plus_cash_waits_for_payment_or_lapses(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    await grant(api, "mei", 1_000)
    item = await create_item(
        api, pricePoints=200, priceCash={"amount": 990, "currency": "USD"}, stock=2
    )
    paid = (await redeem(api, "mei", item["id"], "r1"))["redemption"]
    assert paid["status"] == "AWAITING_PAYMENT" and paid["cash"] == {
        "amount": 990,
        "currency": "USD",
    }
    assert (await balance(api, "mei"))["held"] == 200
    for _ in range(2):  # the shop may retry
        result = await api.data(
            PAY, api.service(), input={"redemptionId": paid["id"], "paymentReference": "pay-77"}
        )
        assert result["confirmCashPayment"]["redemption"]["status"] == "CONFIRMED"
    assert await balance(api, "mei") == {"balance": 800, "pending": 0, "held": 0}

    unpaid = (await redeem(api, "mei", item["id"], "r2"))["redemption"]
    clock.advance(timedelta(minutes=16))
    too_late = await api.data(  # the window closed, though the job has not run yet
        PAY, api.service(), input={"redemptionId": unpaid["id"], "paymentReference": "pay-78"}
    )
    assert too_late["confirmCashPayment"]["errors"][0]["code"] == "INVALID_STATE"
    assert (await balance(api, "mei"))["held"] == 200  # nothing changed
    assert await lapse_unpaid(SYSTEM, runtime.rules) == 1
    lapsed = await api.data(NODE, api.user("mei"), id=unpaid["id"])
    assert lapsed["node"]["status"] == "CANCELLED"
    assert await balance(api, "mei") == {"balance": 800, "pending": 0, "held": 0}
    late = await api.data(
        PAY, api.service(), input={"redemptionId": unpaid["id"], "paymentReference": "pay-78"}
    )
    assert late["confirmCashPayment"]["errors"][0]["code"] == "INVALID_STATE"


async def test_users_never_touch_each_others_redemptions(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 100)
    item = await create_item(api, kind="PHYSICAL", virtualRight=None, pricePoints=10)
    mine = (await redeem(api, "mei", item["id"], "r1", shippingAddress=ADDRESS))["redemption"]
    assert await api.error_code(NODE, api.user("ana"), id=mine["id"]) == "NOT_FOUND"
    attempt = await api.data(CANCEL, api.user("ana"), input={"redemptionId": mine["id"]})
    assert attempt["cancelRedemption"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await api.data(NODE, api.user("mei"), id=mine["id"]))["node"]["status"] == "CONFIRMED"


@pytest.mark.parametrize(
    ("query", "extra"),
    [
        (REVIEW, {"approve": True}),
        (FULFILL, {"status": "FULFILLED"}),
        (PAY, {"paymentReference": "p"}),
    ],
)
async def test_ops_mutations_need_their_role(
    api: Api, clock: MovableClock, query: str, extra: dict[str, object]
) -> None:
    await grant(api, "mei", 100)
    item = await create_item(api, pricePoints=10)
    mine = (await redeem(api, "mei", item["id"], "r1"))["redemption"]
    body = await api.post(query, api.user("mei"), input={"redemptionId": mine["id"], **extra})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
