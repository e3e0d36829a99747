"""Share links: a reward per target up to a daily cap, bonuses per distinct opener, and the
achievement card people share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.engagement.helpers import CHECK_IN, points
from tests.mall.helpers import create_item, grant, redeem

SHARE = """mutation($input: ShareInput!) { share(input: $input) {
  share { url token rewardPoints targetId } errors { code field } } }"""
OPEN = """mutation($link: String!) { openShare(input: {token: $link}) {
  rewarded errors { code } } }"""
ACHIEVEMENT = "{ me { achievement { totalEarned streak rankPercentile } } }"


async def share(api: Api, user: str, target: str, target_id: str | None, key: str) -> Any:
    result = await api.data(
        SHARE,
        api.user(user),
        input={"target": target, "targetId": target_id, "idempotencyKey": key},
    )
    return result["share"]


async def test_sharing_pays_once_per_target_up_to_three_a_day(
    api: Api, clock: MovableClock
) -> None:
    items = [await create_item(api, title=f"Item {n}") for n in range(4)]
    first = await share(api, "mei", "ITEM", items[0]["id"], "s0")
    assert first["share"]["rewardPoints"] == 10
    assert first["share"]["url"].endswith(first["share"]["token"])
    assert len(first["share"]["token"]) >= 20
    again = await share(api, "mei", "ITEM", items[0]["id"], "s0-again")
    assert again["share"]["token"] == first["share"]["token"]  # the same link, no new reward
    rewards = [
        (await share(api, "mei", "ITEM", item["id"], f"s{n}"))["share"]["rewardPoints"]
        for n, item in enumerate(items[1:], 1)
    ]
    assert rewards == [10, 10, 0]  # three rewarded shares a day
    assert (await points(api))["balance"] == 30


async def test_openers_earn_the_sharer_a_bonus_once_each(api: Api, clock: MovableClock) -> None:
    made = await share(api, "mei", "ACHIEVEMENT", None, "s")
    token = made["share"]["token"]
    own = await api.data(OPEN, api.user("mei"), link=token)
    assert own["openShare"]["rewarded"] is False
    assert (await api.data(OPEN, api.user("ana"), link=token))["openShare"]["rewarded"] is True
    assert (await api.data(OPEN, api.user("ana"), link=token))["openShare"]["rewarded"] is False
    assert (await api.data(OPEN, api.user("bob"), link=token))["openShare"]["rewarded"] is True
    assert (await points(api))["balance"] == 10 + 5 + 5
    missing = await api.data(OPEN, api.user("bob"), link="not-a-token")
    assert missing["openShare"]["errors"][0]["code"] == "NOT_FOUND"


async def test_opener_bonuses_stop_at_the_daily_cap(api: Api, clock: MovableClock) -> None:
    token = (await share(api, "mei", "ACHIEVEMENT", None, "s"))["share"]["token"]
    rewarded = [
        (await api.data(OPEN, api.user(f"friend-{n}"), link=token))["openShare"]["rewarded"]
        for n in range(12)
    ]
    assert rewarded == [True] * 10 + [False] * 2  # SHARE_OPEN_DAILY_CAP
    clock.advance(timedelta(days=1))
    later = await api.data(OPEN, api.user("friend-12"), link=token)
    assert later["openShare"]["rewarded"] is True  # a new day
    assert (await points(api))["balance"] == 10 + 11 * 5


async def test_targets_must_be_the_users_to_share(api: Api, clock: MovableClock) -> None:
    await grant(api, "ana", 100)
    item = await create_item(api, pricePoints=10)
    hers = (await redeem(api, "ana", item["id"], "r"))["redemption"]
    stolen = await share(api, "mei", "REDEMPTION", hers["id"], "s1")
    assert stolen["errors"][0]["code"] == "NOT_FOUND"
    mine = await share(api, "ana", "REDEMPTION", hers["id"], "s2")
    assert mine["errors"] == []
    bad = await share(api, "mei", "ITEM", None, "s3")
    assert bad["errors"][0]["field"] == ["input", "targetId"]
    invite = await share(api, "mei", "INVITE", "someone", "s4")
    assert invite["errors"][0]["field"] == ["input", "targetId"]


async def test_the_achievement_card(api: Api, clock: MovableClock) -> None:
    await api.data(CHECK_IN, api.user("mei"), key="c")
    await grant(api, "ana", 100)
    await grant(api, "bob", 1)
    card = (await api.data(ACHIEVEMENT, api.user("mei")))["me"]["achievement"]
    # mei earned 10 (check-in): ahead of bob, behind ana.
    assert card == {"totalEarned": 10, "streak": 1, "rankPercentile": 33.3}
