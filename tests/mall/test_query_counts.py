"""Pages of items and redemptions cost the same few queries however long they are,
with every relation asked for (the item of a redemption, its codes, its history)."""

from __future__ import annotations

from typing import Any

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.conftest import SqlLog
from tests.mall.helpers import (
    ADDRESS,
    CODES,
    ITEM_FIELDS,
    REDEMPTION_FIELDS,
    create_item,
    grant,
    redeem,
)

ITEMS = f"""query($first: Int!) {{ items(first: $first) {{
  edges {{ node {{ {ITEM_FIELDS} }} }} pageInfo {{ hasNextPage }} }} }}"""
MY_REDEMPTIONS = f"""query($first: Int!) {{ me {{ redemptions(first: $first) {{
  edges {{ node {{ {REDEMPTION_FIELDS} createdAt shippingAddress {{ city }} }} }} }} }} }}"""
REVIEW_QUEUE = f"""query($first: Int!) {{ redemptions(first: $first) {{
  edges {{ node {{ {REDEMPTION_FIELDS}
    history {{ fromStatus toStatus actor actorRole reason createdAt }} }} }} }} }}"""


async def a_mall_of_every_kind(api: Api, size: int) -> None:
    """`size` items of every kind, each redeemed once by mei (one a day, so quotas count)."""
    await grant(api, "mei", 1_000_000)
    for number in range(size):
        kind = ("VIRTUAL", "COUPON", "PHYSICAL")[number % 3]
        fields: dict[str, Any] = {"title": f"{kind} {number}", "kind": kind}
        if kind != "VIRTUAL":
            fields["virtualRight"] = None
        if number % 2:
            fields.update(perUserQuota=2, quotaWindow="DAILY")
        if number % 2 and kind != "COUPON":  # a coupon's stock is its code pool
            fields.update(limited=True, stock=10)
        item = await create_item(api, **fields)
        extra: dict[str, Any] = {}
        if kind == "COUPON":
            await api.data(
                CODES, api.admin(), input={"itemId": item["id"], "codes": [f"C{number}"]}
            )
        if kind == "PHYSICAL":
            extra["shippingAddress"] = ADDRESS
        redeemed = await redeem(api, "mei", item["id"], f"r{number}", **extra)
        assert redeemed["errors"] == [], redeemed


async def test_pages_of_items_and_redemptions_cost_the_same_queries_however_long(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    await a_mall_of_every_kind(api, 12)
    # The bounds: the items; the caller's account, balance and quota use; a redemption's
    # codes, item and history.
    for query, token, path, bound in (
        (ITEMS, None, ["items"], 1),
        (ITEMS, api.user("mei"), ["items"], 4),
        (MY_REDEMPTIONS, api.user("mei"), ["me", "redemptions"], 6),
        (REVIEW_QUEUE, api.admin(), ["redemptions"], 4),
    ):
        _, short = await sql_log.count(api.data(query, token, first=2))
        data, long = await sql_log.count(api.data(query, token, first=12))
        for key in path:
            data = data[key]
        assert len(data["edges"]) == 12
        assert short == long <= bound, sql_log.statements
