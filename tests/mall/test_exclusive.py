"""Items kept for an audience: a Gold-only item is invisible to a Silver member and refused
with NOT_ELIGIBLE, on every card and list for the Gold member and redeemable by them."""

from __future__ import annotations

from typing import Any

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.audience.helpers import create_audience
from tests.mall.helpers import QUOTE, create_item, grant, redeem

LISTED = "{ items(first: 50) { edges { node { title } } } }"
CARDS = "{ mall { cards { kind items { title } } } }"
ITEM = "query($id: ID!) { item(id: $id) { title } }"


async def titles(api: Api, token: str | None) -> set[str]:
    edges = (await api.data(LISTED, token))["items"]["edges"]
    return {edge["node"]["title"] for edge in edges}


async def on_cards(api: Api, token: str) -> dict[str, list[str]]:
    cards = (await api.data(CARDS, token))["mall"]["cards"]
    return {card["kind"]: [item["title"] for item in card["items"]] for card in cards}


async def test_a_gold_only_item_is_for_gold_members(api: Api, clock: MovableClock) -> None:
    gold = await create_audience(api, "Gold and above", {"tierAtLeast": "Gold"})
    await create_item(api, title="Everyone's mug", category="home")
    lounge = await create_item(
        api, title="Airport lounge pass", category="travel", pricePoints=300, audienceId=gold
    )
    await grant(api, "silvia", 4_000)  # Silver: 1,000 short of Gold
    await grant(api, "goldie", 6_000)  # Gold

    silver, golden = api.user("silvia"), api.user("goldie")
    assert await titles(api, silver) == {"Everyone's mug"}
    assert await titles(api, None) == {"Everyone's mug"}  # anonymous
    assert await titles(api, api.admin()) == {"Everyone's mug", "Airport lounge pass"}
    for shown in (await on_cards(api, silver)).values():
        assert "Airport lounge pass" not in shown
    assert await api.error_code(ITEM, silver, id=lounge["id"]) == "NOT_FOUND"

    quote = (await api.data(QUOTE, silver, input={"itemId": lounge["id"]}))["redemptionQuote"]
    assert quote["canRedeem"] is False
    assert [problem["code"] for problem in quote["problems"]] == ["NOT_ELIGIBLE"]
    refused = await redeem(api, "silvia", lounge["id"], "try-1")
    assert [error["code"] for error in refused["errors"]] == ["NOT_ELIGIBLE"]
    points: dict[str, Any] = (await api.data("{ me { points { balance } } }", silver))["me"]
    assert points["points"]["balance"] == 4_000  # nothing taken

    assert await titles(api, golden) == {"Everyone's mug", "Airport lounge pass"}
    cards = await on_cards(api, golden)
    assert cards["FOR_YOU"][0] == "Airport lounge pass"  # kept for them: first
    assert (await api.data(ITEM, golden, id=lounge["id"]))["item"]["title"] == "Airport lounge pass"
    made = await redeem(api, "goldie", lounge["id"], "go-1")
    assert made["errors"] == [] and made["redemption"]["status"] == "CONFIRMED"

    await grant(api, "silvia", 1_000)  # reaches Gold: the item is hers too, at once
    assert "Airport lounge pass" in await titles(api, silver)
