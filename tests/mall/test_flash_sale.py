"""Flash sales under concurrency, on PostgreSQL: exactly the stock, each quota kept, no
points taken for a failed attempt; with the Redis gate and with the database alone."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.ledger import audit, entries
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.mall.flash_gate import stock_key
from pointsmall.models import Account, Item, Redemption, RedemptionStatus
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.ledger.helpers import RULES, SERVICE
from tests.mall.helpers import CANCEL, CODES, create_item, db_id, redeem

pytestmark = pytest.mark.postgres


async def fund(users: list[str], points: int) -> None:
    for user in users:
        account = await open_account(user)
        await entries.earn(
            account.id, points, LedgerRequest(SERVICE, f"fund-{user}", "fund"), RULES
        )


async def outcomes(api: Api, attempts: list[tuple[str, str]], item_id: str) -> Counter[str]:
    limit = asyncio.Semaphore(100)

    async def attempt(user: str, key: str) -> str:
        async with limit:
            payload = await redeem(api, user, item_id, key)
        told = (
            payload["errors"][0]["code"] if payload["errors"] else payload["redemption"]["status"]
        )
        return str(told)

    return Counter(await asyncio.gather(*(attempt(user, key) for user, key in attempts)))


@pytest.mark.parametrize("gate", ["redis-gate", "database-only"])
async def test_500_buyers_for_50_units_confirm_exactly_50(
    api: Api, clock: MovableClock, runtime: Runtime, gate: str
) -> None:
    users = [f"buyer-{n}" for n in range(500)]
    await fund(users, 100)
    item = await create_item(
        api, title="Flash phone", pricePoints=100, stock=50, limited=True, perUserQuota=1
    )
    item_id = db_id(item["id"])
    if gate == "database-only":
        await runtime.redis.delete(stock_key(item_id))
    else:
        assert await runtime.redis.get(stock_key(item_id)) == "50"
    results = await outcomes(api, [(user, f"k-{user}") for user in users], item["id"])
    assert results == Counter({"CONFIRMED": 50, "OUT_OF_STOCK": 450})
    fresh = await Item.get(id=item_id)
    assert fresh.stock_remaining == 0
    assert await Redemption.filter(item_id=item_id).count() == 50
    spent = await Account.filter(ledger_balance=0).count()
    untouched = await Account.filter(ledger_balance=100).count()
    assert (spent, untouched) == (50, 450)  # no points taken for a failed attempt
    assert (await audit.audit_ledger()).clean


async def test_one_user_firing_20_requests_gets_their_quota_of_1(
    api: Api, clock: MovableClock
) -> None:
    await fund(["eager"], 10_000)
    item = await create_item(
        api, pricePoints=10, stock=100, perUserQuota=1, quotaWindow="SALE", limited=True
    )
    results = await outcomes(api, [("eager", f"k{n}") for n in range(20)], item["id"])
    assert results == Counter({"CONFIRMED": 1, "QUOTA_EXCEEDED": 19})
    assert (await Account.get(user_id="eager")).ledger_balance == 9_990


async def test_a_daily_quota_holds_under_parallel_requests_without_the_gate(
    api: Api, clock: MovableClock
) -> None:
    """A DAILY quota depends on the user's own day: only the database guards it."""
    await fund(["eager"], 10_000)
    item = await create_item(api, pricePoints=10, perUserQuota=2, quotaWindow="DAILY")
    results = await outcomes(api, [("eager", f"k{n}") for n in range(20)], item["id"])
    assert results == Counter({"CONFIRMED": 2, "QUOTA_EXCEEDED": 18})
    assert (await Account.get(user_id="eager")).ledger_balance == 9_980


async def test_coupon_codes_go_out_once_each_under_a_rush(api: Api, clock: MovableClock) -> None:
    users = [f"fan-{n}" for n in range(50)]
    await fund(users, 100)
    coupon = await create_item(api, kind="COUPON", virtualRight=None, title="Coffee voucher")
    added = await api.data(
        CODES, api.admin(), input={"itemId": coupon["id"], "codes": [f"CUP-{n}" for n in range(20)]}
    )
    assert added["addCouponCodes"]["added"] == 20
    payloads = await asyncio.gather(
        *(redeem(api, user, coupon["id"], f"k-{user}") for user in users)
    )
    codes = [payload["redemption"]["couponCode"] for payload in payloads if payload["redemption"]]
    refusals = Counter(payload["errors"][0]["code"] for payload in payloads if payload["errors"])
    assert sorted(codes) == sorted(f"CUP-{n}" for n in range(20))  # each code exactly once
    assert refusals == Counter({"OUT_OF_STOCK": 30})
    assert await Account.filter(ledger_balance=100).count() == 30  # nothing taken from them


async def test_the_same_key_20_times_gives_one_redemption(api: Api, clock: MovableClock) -> None:
    await fund(["retrier"], 1_000)
    item = await create_item(api, pricePoints=10, stock=100, perUserQuota=1)
    payloads = await asyncio.gather(
        *(redeem(api, "retrier", item["id"], "same") for _ in range(20))
    )
    ids = {payload["redemption"]["id"] for payload in payloads}
    assert len(ids) == 1 and all(payload["errors"] == [] for payload in payloads)
    assert await Redemption.all().count() == 1
    assert (await Account.get(user_id="retrier")).ledger_balance == 990


async def test_cancelling_a_sold_out_sale_gives_back_exactly_what_was_taken(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    users = [f"u{n}" for n in range(30)]
    await fund(users, 250)
    item = await create_item(
        api, kind="PHYSICAL", virtualRight=None, pricePoints=250, stock=10, perUserQuota=1
    )
    address = {
        "recipient": "A",
        "line1": "1 Road",
        "city": "City",
        "postalCode": "1000",
        "country": "DE",
    }
    payloads = await asyncio.gather(
        *(redeem(api, user, item["id"], f"k-{user}", shippingAddress=address) for user in users)
    )
    confirmed = [
        (user, payload["redemption"]["id"])
        for user, payload in zip(users, payloads, strict=True)
        if payload["redemption"]
    ]
    assert len(confirmed) == 10

    async def cancel(user: str, redemption_id: str) -> dict[str, Any]:
        result = await api.data(CANCEL, api.user(user), input={"redemptionId": redemption_id})
        return dict(result["cancelRedemption"])

    cancelled = await asyncio.gather(*(cancel(user, rid) for user, rid in confirmed))
    assert {payload["redemption"]["status"] for payload in cancelled} == {"REFUNDED"}
    assert await Account.filter(ledger_balance=250).count() == 30
    item_id = db_id(item["id"])
    assert (await Item.get(id=item_id)).stock_remaining == 10
    assert await runtime.redis.get(stock_key(item_id)) == "10"  # the gate got its units back
    assert await Redemption.filter(status=RedemptionStatus.REFUNDED).count() == 10
    again = await asyncio.gather(
        *(
            redeem(api, user, item["id"], f"again-{user}", shippingAddress=address)
            for user, _ in confirmed
        )
    )
    assert [payload["redemption"]["status"] for payload in again] == ["CONFIRMED"] * 10
    assert (await audit.audit_ledger()).clean
