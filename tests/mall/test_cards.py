"""The personalised home screen: each card shown only with something in it, in few queries."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx

from pointsmall.app import create_app
from pointsmall.clock import MovableClock
from pointsmall.domain.mall.cards import HOT_KEY
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.conftest import SqlLog
from tests.mall.helpers import ADDRESS, CANCEL, FULFILL, ITEM_FIELDS, create_item, grant, redeem

MALL = f"""{{ mall {{ cards {{ kind title subtitle items {{ {ITEM_FIELDS} }} }} }} }}"""
UPSERT = """mutation($input: UpsertUserInput!) { upsertUser(input: $input) { errors { code } } }"""


def cards_of(data: dict[str, Any]) -> dict[str, list[str]]:
    return {
        card["kind"]: [item["title"] for item in card["items"]] for card in data["mall"]["cards"]
    }


async def test_cards_for_a_signed_in_user(api: Api, clock: MovableClock) -> None:
    await api.data(UPSERT, api.service(), input={"userId": "mei", "tags": ["gamer"]})
    await grant(api, "mei", 400, "soon", expiresAt=(clock.now() + timedelta(days=10)).isoformat())
    await grant(api, "mei", 600, "later")
    await create_item(api, title="Game pass", tags=["gamer"], pricePoints=900)
    await create_item(api, title="Cheap coffee", category="coffee", pricePoints=100)
    await create_item(api, title="Flash headphones", limited=True, stock=5, pricePoints=300)
    await create_item(
        api,
        title="Tomorrow's drop",
        limited=True,
        stock=5,
        saleStartsAt=(clock.now() + timedelta(hours=5)).isoformat(),
    )
    await create_item(api, title="Too dear", pricePoints=5_000)
    for user in ("ana", "bob"):
        await grant(api, user, 1_000)
    await redeem(
        api, "ana", (await create_item(api, title="Popular mug", pricePoints=50))["id"], "m"
    )
    cards = cards_of(await api.data(MALL, api.user("mei")))
    assert list(cards) == ["EXPIRING_SOON", "HOT", "FOR_YOU", "LIMITED", "NEW"]
    # Affordable items, those that best use the 400 expiring points first.
    assert cards["EXPIRING_SOON"][:2] == ["Flash headphones", "Cheap coffee"]
    assert "Too dear" not in cards["EXPIRING_SOON"]
    assert cards["HOT"] == ["Popular mug"]
    assert cards["FOR_YOU"] == ["Game pass"]
    assert cards["LIMITED"] == ["Flash headphones", "Tomorrow's drop"]
    assert "Tomorrow's drop" not in cards["NEW"] and len(cards["NEW"]) == 5


async def test_for_you_learns_from_redemptions_and_skips_what_can_never_be_redeemed(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "mei", 1_000)
    once = await create_item(
        api, title="Once only", category="coffee", perUserQuota=1, pricePoints=10
    )
    await redeem(api, "mei", once["id"], "r1")
    await create_item(api, title="Another coffee", category="coffee", pricePoints=10)
    await create_item(api, title="A book", category="books", pricePoints=10)
    cards = cards_of(await api.data(MALL, api.user("mei")))
    assert cards["FOR_YOU"] == ["Another coffee"]


async def test_for_you_skips_a_one_off_sale_whose_quota_is_used(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "mei", 1_000)
    window = {
        "saleStartsAt": (clock.now() - timedelta(hours=1)).isoformat(),
        "saleEndsAt": (clock.now() + timedelta(hours=5)).isoformat(),
    }
    drop = await create_item(
        api, title="One-off drop", category="coffee", perUserQuota=1, quotaWindow="SALE", **window
    )
    await redeem(api, "mei", drop["id"], "r1")
    daily = await create_item(
        api, title="Daily coffee", category="coffee", perUserQuota=1, quotaWindow="DAILY"
    )
    await redeem(api, "mei", daily["id"], "r2")
    cards = cards_of(await api.data(MALL, api.user("mei")))
    assert cards["FOR_YOU"] == ["Daily coffee"]  # renews tomorrow; the drop never does


async def test_hot_counts_what_was_kept_and_refreshes_within_a_minute(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    for user in ("ana", "bob", "cai"):
        await grant(api, user, 1_000)
    mug = await create_item(api, title="Mug", kind="PHYSICAL", virtualRight=None, pricePoints=10)
    pen = await create_item(api, title="Pen", pricePoints=10)
    for user in ("ana", "bob"):  # two mugs, both given back
        made = await redeem(api, user, mug["id"], "m", shippingAddress=ADDRESS)
        redemption_id = made["redemption"]["id"]
        await api.data(
            FULFILL,
            api.admin(),
            input={
                "redemptionId": redemption_id,
                "status": "SHIPPED",
                "carrier": "SF",
                "trackingNumber": "1",
            },
        )
        refunded = await api.data(
            CANCEL, api.admin(), input={"redemptionId": redemption_id, "reason": "returned"}
        )
        assert refunded["cancelRedemption"]["redemption"]["status"] == "REFUNDED"
    await redeem(api, "cai", pen["id"], "p")
    assert cards_of(await api.data(MALL))["HOT"] == ["Pen"]
    assert 0 < await runtime.redis.ttl(HOT_KEY) <= 60  # recomputed at least every minute
    await redeem(api, "ana", mug["id"], "m2", shippingAddress=ADDRESS)
    await redeem(api, "bob", mug["id"], "m2", shippingAddress=ADDRESS)
    assert cards_of(await api.data(MALL))["HOT"] == ["Pen"]  # the cached minute
    await runtime.redis.delete(HOT_KEY)  # the minute is up
    clock.advance(timedelta(seconds=runtime.settings.response_cache_seconds))  # and the answer
    assert cards_of(await api.data(MALL))["HOT"] == ["Mug", "Pen"]


async def test_anonymous_and_empty_malls_show_only_what_they_have(
    api: Api, clock: MovableClock
) -> None:
    assert (await api.data(MALL))["mall"]["cards"] == []
    await create_item(api, title="Only item")
    assert cards_of(await api.data(MALL)) == {"NEW": ["Only item"]}
    assert "EXPIRING_SOON" not in cards_of(await api.data(MALL, api.user("no-points")))


async def test_the_home_screen_costs_the_same_few_queries_however_full(
    api: Api, clock: MovableClock, sql_log: SqlLog, runtime: Runtime
) -> None:
    uncached = Api(
        httpx.AsyncClient(
            transport=httpx.ASGITransport(
                app=create_app(runtime.settings, replace(runtime, responses=None))
            ),
            base_url="http://t",
        ),
        runtime.settings,
    )

    async def count_for(items: int) -> int:
        for number in range(items):
            item = await create_item(
                api,
                title=f"Item {number}",
                limited=True,
                stock=10,
                perUserQuota=3,
                quotaWindow="DAILY",
                tags=["gamer"],
            )
            await redeem(api, "ana", item["id"], f"hot-{items}-{number}")
        await uncached.data(MALL, api.user("mei"))  # warm: account opened
        await runtime.redis.delete(HOT_KEY)  # and the hot list computed within the count
        sql_log.statements.clear()
        data = await uncached.data(MALL, api.user("mei"))
        kinds = [card["kind"] for card in data["mall"]["cards"]]
        assert kinds == ["EXPIRING_SOON", "HOT", "FOR_YOU", "LIMITED", "NEW"]
        assert sum(len(card["items"]) for card in data["mall"]["cards"]) >= 5 * min(items, 10)
        return len(sql_log.statements)

    await api.data(UPSERT, api.service(), input={"userId": "mei", "tags": ["gamer"]})
    await grant(api, "mei", 500, "soon", expiresAt=(clock.now() + timedelta(days=3)).isoformat())
    await grant(api, "ana", 100_000)
    few = await count_for(2)
    many = await count_for(40)  # 5 cards of 10 items, every field
    assert few == many
    assert many <= 10, sql_log.statements


async def test_times_are_told_in_the_users_own_zone_to_the_minute(
    api: Api, clock: MovableClock
) -> None:
    """START is 09:30 UTC on 23 Nov: 17:30 in Shanghai (CST, UTC+8)."""
    await api.data(UPSERT, api.service(), input={"userId": "mei", "timezone": "Asia/Shanghai"})
    await grant(api, "mei", 500, "g", expiresAt=(clock.now() + timedelta(hours=16)).isoformat())
    opens = clock.now() + timedelta(hours=5, minutes=15, seconds=42, microseconds=7)
    drop = await create_item(
        api, title="Drop", limited=True, stock=5, saleStartsAt=opens.isoformat()
    )
    await create_item(api, title="Coffee", pricePoints=100)
    cards = {
        card["kind"]: card for card in (await api.data(MALL, api.user("mei")))["mall"]["cards"]
    }
    assert cards["LIMITED"]["subtitle"] == "0 on now, next at 23 Nov, 22:45 CST"
    assert cards["EXPIRING_SOON"]["subtitle"].startswith("500 points expire on 24 Nov")
    refused = await redeem(api, "mei", drop["id"], "r1")
    assert refused["errors"][0]["message"] == "on sale from 23 Nov, 22:45 CST"
    anonymous = {card["kind"]: card for card in (await api.data(MALL))["mall"]["cards"]}
    assert anonymous["LIMITED"]["subtitle"] == "0 on now, next at 23 Nov, 14:45 UTC"
