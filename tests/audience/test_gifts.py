"""Lifecycle gifts: each paid exactly once per occasion, whatever the replays; a wake-up
gift's points expire soon and may bring a coupon; birthdays in the user's time zone."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.audience import gifts
from pointsmall.domain.audience.gifts import GiftRules, Occasion, birthday_on
from pointsmall.domain.audience.lifecycle import LifecycleRules, restate_all_segments
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, CouponCode, Gift, Item, Lot
from tests.api import Api
from tests.engagement.helpers import UPSERT, record_order
from tests.mall.helpers import CODES, create_item

LEDGER = LedgerRules()
DAY = timedelta(days=1)
GIFTS = """{ me { points { balance } notifications(first: 10) { edges { node {
  ... on GiftReceived { occasion points expiresAt couponCode message } } } } } }"""


async def received(api: Api, user: str = "mei") -> tuple[int, list[dict[str, Any]]]:
    me = (await api.data(GIFTS, api.user(user)))["me"]
    nodes = [edge["node"] for edge in me["notifications"]["edges"] if edge["node"]]
    return me["points"]["balance"], nodes


async def test_a_new_registration_is_welcomed_once(api: Api, clock: MovableClock) -> None:
    registered = (clock.now() - DAY).isoformat()
    for _ in range(3):  # the shop sends the profile again and again
        await api.data(UPSERT, api.service(), input={"userId": "mei", "registeredAt": registered})
    balance, told = await received(api)
    assert balance == 100
    assert [(gift["occasion"], gift["points"]) for gift in told] == [("welcome", 100)]

    long_ago = (clock.now() - 30 * DAY).isoformat()  # not a new registration: no gift
    await api.data(UPSERT, api.service(), input={"userId": "kai", "registeredAt": long_ago})
    assert await received(api, "kai") == (0, [])


async def test_turning_dormant_brings_one_wake_up_gift(api: Api, clock: MovableClock) -> None:
    item = await create_item(api, kind="COUPON", title="Cafe coupon", virtualRight=None)
    await api.data(CODES, api.admin(), input={"itemId": item["id"], "codes": ["CAFE-1"]})
    coupon_item = (await Item.get(title="Cafe coupon")).id
    rules = GiftRules(wake_up_coupon_item_id=coupon_item)
    long_ago = (clock.now() - 400 * DAY).isoformat()
    await api.data(UPSERT, api.service(), input={"userId": "mei", "registeredAt": long_ago})
    await record_order(api, paidAt=clock.now().isoformat())  # REGULAR
    clock.advance(90 * DAY)
    now = clock.now()

    assert await restate_all_segments(now, LifecycleRules()) == 1  # turned DORMANT
    assert await gifts.give_wake_up_gifts(now, LEDGER, rules) == 1
    assert await gifts.give_wake_up_gifts(now, LEDGER, rules) == 0  # once
    assert await restate_all_segments(now, LifecycleRules()) == 0
    assert await gifts.give_wake_up_gifts(now, LEDGER, rules) == 0

    _, told = await received(api)
    assert len(told) == 1
    wake_up = told[0]
    assert (wake_up["occasion"], wake_up["points"], wake_up["couponCode"]) == (
        "wake-up",
        200,
        "CAFE-1",
    )
    assert datetime.fromisoformat(wake_up["expiresAt"]) == now + 14 * DAY
    lot = await Lot.filter(amount=200).get()
    assert lot.expires_at == now + 14 * DAY  # short-lived points
    code = await CouponCode.get(code="CAFE-1")
    assert code.issued_at == now and code.redemption_id is None
    assert (await Item.get(id=coupon_item)).stock_remaining == 0  # no one else gets it


@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [
        (2027, 2, 29, date(2027, 2, 28)),
        (2028, 2, 29, date(2028, 2, 29)),
        (2027, 3, 1, date(2027, 3, 1)),
    ],
)
def test_a_29_february_birthday_is_kept_on_the_28th_in_other_years(
    year: int, month: int, day: int, expected: date
) -> None:
    assert birthday_on(year, month, day) == expected


async def test_a_birthday_is_greeted_on_the_users_own_day(api: Api, clock: MovableClock) -> None:
    """At 20:00 UTC on 1 December it is already 2 December in Shanghai, not yet in Berlin."""
    clock.set(datetime.fromisoformat("2026-12-01T20:00:00+00:00"))
    for user, zone in (("mei", "Asia/Shanghai"), ("kai", "Europe/Berlin")):
        await api.data(
            UPSERT,
            api.service(),
            input={"userId": user, "timezone": zone, "birthday": "1990-12-02"},
        )
    assert await gifts.give_birthday_gifts(clock.now(), LEDGER, GiftRules()) == 1
    assert await gifts.give_birthday_gifts(clock.now(), LEDGER, GiftRules()) == 0
    assert (await received(api))[1] == [
        {"occasion": "birthday", "points": 100, "expiresAt": None, "couponCode": None,
         "message": "happy birthday!"}
    ]  # fmt: skip
    clock.set(datetime.fromisoformat("2026-12-02T08:00:00+00:00"))  # Berlin's turn
    assert await gifts.give_birthday_gifts(clock.now(), LEDGER, GiftRules()) == 1
    assert await Gift.filter(occasion="birthday:2026").count() == 2


async def test_bad_profile_attributes_change_nothing(api: Api) -> None:
    body = await api.data(
        """mutation($input: UpsertUserInput!) { upsertUser(input: $input) {
          errors { code field } } }""",
        api.service(),
        input={"userId": "mei", "nickname": "Mei", "attributes": [{"name": "City!", "value": "x"}]},
    )
    assert body["upsertUser"]["errors"] == [
        {"code": "INVALID_VALUE", "field": ["input", "attributes"]}
    ]
    assert not await Account.filter(user_id="mei", nickname="Mei").exists()


@pytest.mark.postgres
async def test_a_gift_given_20_times_at_once_is_given_once(api: Api, clock: MovableClock) -> None:
    await api.data(UPSERT, api.service(), input={"userId": "mei"})
    account = await Account.get(user_id="mei")
    occasion = Occasion("wake-up:1", "wake-up", 200, "we miss you", clock.now() + 14 * DAY)
    given = await asyncio.gather(*(gifts.give(account.id, occasion, LEDGER) for _ in range(20)))
    assert sum(gift is not None for gift in given) == 1
    assert (await received(api))[0] == 200
    assert await Gift.filter(account_id=account.id).count() == 1
