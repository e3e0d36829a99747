"""The personalised home screen: each card shown only with something in it, in few queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.conftest import SqlLog
from tests.mall.helpers import ITEM_FIELDS, create_item, grant, redeem

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


async def test_anonymous_and_empty_malls_show_only_what_they_have(
    api: Api, clock: MovableClock
) -> None:
    assert (await api.data(MALL))["mall"]["cards"] == []
    await create_item(api, title="Only item")
    assert cards_of(await api.data(MALL)) == {"NEW": ["Only item"]}
    assert "EXPIRING_SOON" not in cards_of(await api.data(MALL, api.user("no-points")))


async def test_the_home_screen_costs_the_same_few_queries_however_full(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    async def count_for(items: int) -> int:
        for number in range(items):
            await create_item(
                api,
                title=f"Item {number}",
                limited=True,
                stock=10,
                perUserQuota=3,
                quotaWindow="DAILY",
                tags=["gamer"],
            )
        await api.data(MALL, api.user("mei"))  # warm: account opened, hot list computed
        sql_log.statements.clear()
        data = await api.data(MALL, api.user("mei"))
        assert sum(len(card["items"]) for card in data["mall"]["cards"]) >= min(items, 10)
        return len(sql_log.statements)

    await api.data(UPSERT, api.service(), input={"userId": "mei", "tags": ["gamer"]})
    await grant(api, "mei", 500, "soon", expiresAt=(clock.now() + timedelta(days=3)).isoformat())
    few = await count_for(2)
    many = await count_for(40)  # 5 cards of 10 items, every field
    assert few == many
    assert many <= 10, sql_log.statements
