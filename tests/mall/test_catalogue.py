"""Ops manage the catalogue; users browse it, with what each item means for them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.mall.helpers import (
    CODES,
    CREATE_ITEM,
    ITEM_FIELDS,
    create_item,
    grant,
    item_input,
    redeem,
)

ITEMS = f"""query($first: Int, $after: String, $category: String, $kind: ItemKind,
  $status: ItemStatus) {{
  items(first: $first, after: $after, category: $category, kind: $kind, status: $status) {{
    edges {{ node {{ {ITEM_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
ITEM = f"query($id: ID!) {{ item(id: $id) {{ {ITEM_FIELDS} }} }}"
UPDATE = f"""mutation($input: UpdateItemInput!) {{ updateItem(input: $input) {{
  item {{ {ITEM_FIELDS} }} errors {{ code field }} }} }}"""
ARCHIVE = """mutation($input: ArchiveItemInput!) { archiveItem(input: $input) {
  item { status onSale } errors { code } } }"""
RESTOCK = """mutation($input: RestockItemInput!) { restockItem(input: $input) {
  item { stock remainingStock } errors { code field } } }"""


async def test_an_item_shows_what_it_means_for_the_viewer(api: Api, clock: MovableClock) -> None:
    item = await create_item(api, pricePoints=300, stock=5, perUserQuota=2, quotaWindow="DAILY")
    assert item["remainingStock"] == 5 and item["stock"] == 5
    await grant(api, "mei", 100)
    seen = (await api.data(ITEM, api.user("mei"), id=item["id"]))["item"]
    assert (seen["affordable"], seen["pointsShort"], seen["quotaLeft"]) == (False, 200, 2)
    assert seen["onSale"] is True and seen["requiresShippingAddress"] is False
    anonymous = (await api.data(ITEM, None, id=item["id"]))["item"]
    assert (anonymous["affordable"], anonymous["pointsShort"], anonymous["quotaLeft"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pricePoints": -5}, "pricePoints"),
        ({"pricePoints": 0}, "pricePoints"),
        ({"title": " "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"category": "Not A Slug!"}, "category"),
        ({"stock": -1}, "stock"),
        ({"perUserQuota": 0}, "perUserQuota"),
        ({"quotaWindow": "DAILY"}, "quotaWindow"),
        (
            {"saleStartsAt": "2026-12-02T00:00:00Z", "saleEndsAt": "2026-12-01T00:00:00Z"},
            "saleEndsAt",
        ),
        ({"saleRecurrence": "MONTHLY"}, "saleRecurrence"),
        ({"priceCash": {"amount": 0, "currency": "USD"}}, "priceCash"),
        ({"priceCash": {"amount": 500, "currency": "dollars"}}, "priceCash"),
        ({"virtualRight": None}, "virtualRight"),
        ({"kind": "COUPON", "virtualRight": None, "stock": 10}, "stock"),
        ({"kind": "PHYSICAL"}, "virtualRight"),
        ({"imageUrls": ["javascript:alert(1)"]}, "imageUrls"),
        ({"tags": ["ok", "not ok!"]}, "tags"),
        ({"status": "ARCHIVED"}, "status"),
    ],
)
async def test_bad_items_are_refused_field_by_field(
    api: Api, clock: MovableClock, overrides: dict[str, Any], field: str
) -> None:
    result = await api.data(CREATE_ITEM, api.admin(), input=item_input(**overrides))
    [error] = result["createItem"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_VALUE", ["input", field])
    assert result["createItem"]["item"] is None
    listed = await api.data(ITEMS, api.admin(), status="DRAFT")
    assert listed["items"]["edges"] == []


async def test_only_admins_manage_the_catalogue(api: Api, clock: MovableClock) -> None:
    body = await api.post(CREATE_ITEM, api.user(), input=item_input())
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await api.error_code(ITEMS, api.user(), status="DRAFT") == "FORBIDDEN"


async def test_drafts_are_invisible_to_users(api: Api, clock: MovableClock) -> None:
    draft = await create_item(api, status="DRAFT")
    assert await api.error_code(ITEM, api.user(), id=draft["id"]) == "NOT_FOUND"
    assert (await api.data(ITEMS, api.user()))["items"]["edges"] == []
    assert (await api.data(ITEM, api.admin(), id=draft["id"]))["item"]["status"] == "DRAFT"


async def test_paging_and_filters(api: Api, clock: MovableClock) -> None:
    for number in range(7):
        await create_item(
            api,
            title=f"Coffee {number}",
            category="coffee",
            kind="SERVICE",
            virtualRight=None,
            sortWeight=number % 3,
        )
    await create_item(api, category="books")
    titles: list[str] = []
    after = None
    while True:
        page = (await api.data(ITEMS, None, first=3, after=after, category="coffee"))["items"]
        titles += [edge["node"]["title"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert titles == [
        "Coffee 5",
        "Coffee 2",
        "Coffee 4",
        "Coffee 1",
        "Coffee 6",
        "Coffee 3",
        "Coffee 0",
    ]
    kinds = (await api.data(ITEMS, None, kind="VIRTUAL"))["items"]["edges"]
    assert [edge["node"]["category"] for edge in kinds] == ["books"]


async def test_update_keeps_what_is_not_named_and_checks_the_whole(
    api: Api, clock: MovableClock
) -> None:
    item = await create_item(api, tags=["gamer"])
    result = await api.data(UPDATE, api.admin(), input={"itemId": item["id"], "pricePoints": 80})
    assert result["updateItem"]["item"]["pricePoints"] == 80
    assert result["updateItem"]["item"]["tags"] == ["gamer"]
    bad = await api.data(
        UPDATE,
        api.admin(),
        input={
            "itemId": item["id"],
            "saleStartsAt": "2026-12-05T00:00:00Z",
            "saleEndsAt": "2026-12-01T00:00:00Z",
        },
    )
    assert bad["updateItem"]["errors"] == [
        {"code": "INVALID_VALUE", "field": ["input", "saleEndsAt"]}
    ]
    cleared = await api.data(UPDATE, api.admin(), input={"itemId": item["id"], "title": None})
    assert cleared["updateItem"]["errors"][0]["code"] == "INVALID_VALUE"


async def test_archived_items_leave_the_mall(api: Api, clock: MovableClock) -> None:
    item = await create_item(api)
    archived = await api.data(ARCHIVE, api.admin(), input={"itemId": item["id"]})
    assert archived["archiveItem"]["item"] == {"status": "ARCHIVED", "onSale": False}
    await grant(api, "mei", 500)
    refused = await redeem(api, "mei", item["id"], "r1")
    assert refused["errors"][0]["code"] == "NOT_ON_SALE"


async def test_restock_counts_once_per_key(api: Api, clock: MovableClock) -> None:
    item = await create_item(api, stock=2)
    for _ in range(3):
        result = await api.data(
            RESTOCK,
            api.admin(),
            input={"itemId": item["id"], "quantity": 10, "idempotencyKey": "restock-1"},
        )
        assert result["restockItem"]["item"] == {"stock": 12, "remainingStock": 12}
    conflict = await api.data(
        RESTOCK,
        api.admin(),
        input={"itemId": item["id"], "quantity": 11, "idempotencyKey": "restock-1"},
    )
    assert conflict["restockItem"]["errors"][0]["code"] == "IDEMPOTENCY_CONFLICT"
    unlimited = await create_item(api)
    refused = await api.data(
        RESTOCK,
        api.admin(),
        input={"itemId": unlimited["id"], "quantity": 1, "idempotencyKey": "k"},
    )
    assert refused["restockItem"]["errors"][0]["code"] == "INVALID_STATE"


async def test_coupon_pools_grow_by_new_codes_only(api: Api, clock: MovableClock) -> None:
    coupon = await create_item(api, kind="COUPON", virtualRight=None, title="Coffee voucher")
    assert coupon["remainingStock"] == 0
    first = await api.data(
        CODES, api.admin(), input={"itemId": coupon["id"], "codes": ["AAA-1", "AAA-2", "AAA-2"]}
    )
    assert first["addCouponCodes"]["added"] == 2
    again = await api.data(
        CODES, api.admin(), input={"itemId": coupon["id"], "codes": ["AAA-2", "AAA-3"]}
    )
    assert again["addCouponCodes"]["added"] == 1
    assert again["addCouponCodes"]["duplicates"] == 1
    assert again["addCouponCodes"]["item"] == {"stock": 3, "remainingStock": 3}
    bad = await api.data(CODES, api.admin(), input={"itemId": coupon["id"], "codes": ["has space"]})
    assert bad["addCouponCodes"]["errors"][0]["field"] == ["input", "codes"]


async def test_recurring_sale_windows_show_the_current_or_next_one(
    api: Api, clock: MovableClock
) -> None:
    # Opens on the 1st of each month for two days; now is the 23rd of November.
    item = await create_item(
        api,
        saleStartsAt="2026-10-01T00:00:00Z",
        saleEndsAt="2026-10-03T00:00:00Z",
        saleRecurrence="MONTHLY",
        perUserQuota=1,
        quotaWindow="SALE",
    )
    seen = (await api.data(ITEM, None, id=item["id"]))["item"]
    assert (seen["saleStartsAt"], seen["saleEndsAt"], seen["onSale"]) == (
        "2026-12-01T00:00:00+00:00",
        "2026-12-03T00:00:00+00:00",
        False,
    )
    clock.advance(timedelta(days=8, hours=1))  # 1 December, 10:30
    await grant(api, "mei", 500)
    assert (await redeem(api, "mei", item["id"], "dec-1"))["errors"] == []
    assert (await redeem(api, "mei", item["id"], "dec-2"))["errors"][0]["code"] == "QUOTA_EXCEEDED"
    clock.advance(timedelta(days=31))  # 1 January: a new window, a new quota
    assert (await redeem(api, "mei", item["id"], "jan-1"))["errors"] == []
