"""The response cache: a repeated home query is answered from memory, and never once it
would be wrong for its reader (their own points moved, ops changed the catalogue, another
user asks, the answer had an error, the time is up)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx

from pointsmall.app import create_app
from pointsmall.auth import Principal, Role
from pointsmall.clock import MovableClock
from pointsmall.config import Rate, RateLimits
from pointsmall.response_cache import reader_of
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.conftest import SqlLog
from tests.mall.helpers import create_item, grant, redeem
from tests.mall.test_cards import MALL, UPSERT, cards_of
from tests.test_rate_limits import limited

UPDATE_ITEM = """mutation($input: UpdateItemInput!) {
  updateItem(input: $input) { errors { code message } }
}"""


async def test_a_repeated_home_query_is_answered_without_the_database(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    await create_item(api, title="Mug")
    first = await api.data(MALL, api.user("mei"))  # opens mei's account: not kept yet
    second = await api.data(MALL, api.user("mei"))
    sql_log.statements.clear()
    third = await api.data(MALL, api.user("mei"))
    assert first == second == third
    assert sql_log.statements == []


async def test_the_readers_own_points_show_at_once(api: Api, clock: MovableClock) -> None:
    await create_item(api, title="Mug", pricePoints=10)
    for _ in range(2):
        assert "EXPIRING_SOON" not in cards_of(await api.data(MALL, api.user("mei")))
    soon = (clock.now() + timedelta(days=3)).isoformat()
    await grant(api, "mei", 500, "soon", expiresAt=soon)
    assert cards_of(await api.data(MALL, api.user("mei")))["EXPIRING_SOON"] == ["Mug"]


async def test_the_shops_profile_changes_show_at_once(api: Api, clock: MovableClock) -> None:
    await create_item(api, title="Mug", tags=["gamer"])
    for _ in range(2):
        assert "FOR_YOU" not in cards_of(await api.data(MALL, api.user("mei")))
    await api.data(UPSERT, api.service(), input={"userId": "mei", "tags": ["gamer"]})
    assert cards_of(await api.data(MALL, api.user("mei")))["FOR_YOU"] == ["Mug"]


async def test_ops_changes_show_at_once_everywhere(api: Api, clock: MovableClock) -> None:
    mug = await create_item(api, title="Mug")
    for _ in range(2):
        assert cards_of(await api.data(MALL, api.user("mei")))["NEW"] == ["Mug"]
        assert cards_of(await api.data(MALL))["NEW"] == ["Mug"]
    changed = await api.data(
        UPDATE_ITEM, api.admin(), input={"itemId": mug["id"], "title": "Big mug"}
    )
    assert changed["updateItem"]["errors"] == []
    assert cards_of(await api.data(MALL, api.user("mei")))["NEW"] == ["Big mug"]
    assert cards_of(await api.data(MALL))["NEW"] == ["Big mug"]


async def test_each_reader_gets_their_own_answer(api: Api, clock: MovableClock) -> None:
    await create_item(api, title="Mug", pricePoints=10)
    soon = (clock.now() + timedelta(days=3)).isoformat()
    await grant(api, "mei", 500, "soon", expiresAt=soon)
    for _ in range(3):
        assert "EXPIRING_SOON" in cards_of(await api.data(MALL, api.user("mei")))
        assert "EXPIRING_SOON" not in cards_of(await api.data(MALL, api.user("bob")))
        assert "EXPIRING_SOON" not in cards_of(await api.data(MALL))


async def test_stock_another_user_takes_shows_at_once(api: Api, clock: MovableClock) -> None:
    await grant(api, "ana", 1_000)
    mug = await create_item(api, title="Mug", pricePoints=10, stock=5)
    query = "{ mall { cards { items { title remainingStock } } } }"

    def stock_shown(data: dict[str, Any]) -> set[int]:
        return {item["remainingStock"] for card in data["mall"]["cards"] for item in card["items"]}

    for _ in range(2):
        assert stock_shown(await api.data(query, api.user("mei"))) == {5}
    await redeem(api, "ana", mug["id"], "one")
    assert stock_shown(await api.data(query, api.user("mei"))) == {4}


async def test_what_time_changes_shows_on_time(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    """No write announces the passage of time: an answer ends when time would change it."""
    await create_item(api, title="Mug", pricePoints=10)
    opens = clock.now() + timedelta(seconds=2)
    await create_item(api, title="Lamp", saleStartsAt=opens.isoformat())
    soon = clock.now() + timedelta(seconds=40)
    await grant(api, "mei", 500, "soon", expiresAt=soon.isoformat())
    for _ in range(2):
        home = cards_of(await api.data(MALL, api.user("mei")))
        assert home["NEW"] == ["Mug"]
        assert home["EXPIRING_SOON"] == ["Mug"]
    clock.advance(timedelta(seconds=2))  # the lamp's sale opens
    assert sorted(cards_of(await api.data(MALL, api.user("mei")))["NEW"]) == ["Lamp", "Mug"]
    clock.advance(timedelta(seconds=38))  # mei's points expire
    assert "EXPIRING_SOON" not in cards_of(await api.data(MALL, api.user("mei")))


async def test_an_answer_lives_no_longer_than_its_seconds(
    api: Api, clock: MovableClock, runtime: Runtime, sql_log: SqlLog
) -> None:
    await create_item(api, title="Mug")
    for _ in range(2):
        await api.data(MALL, api.user("mei"))
    clock.advance(timedelta(seconds=runtime.settings.response_cache_seconds - 1))
    sql_log.statements.clear()
    await api.data(MALL, api.user("mei"))
    assert sql_log.statements == []
    clock.advance(timedelta(seconds=1))
    await api.data(MALL, api.user("mei"))
    assert sql_log.statements  # computed again: the hot list may have moved


async def test_answers_with_errors_and_other_operations_are_never_kept(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    broken = "{ mall { cards { kind nope } } }"
    for _ in range(3):
        assert await api.error_code(broken, api.user("mei")) == "BAD_USER_INPUT"
    tasks = "{ me { points { balance } tasks { id } } }"
    await grant(api, "mei", 10)
    for _ in range(2):
        await api.data(tasks, api.user("mei"))
    sql_log.statements.clear()
    assert (await api.data(tasks, api.user("mei")))["me"]["points"]["balance"] == 10
    assert sql_log.statements  # tasks are not among what the cache may answer


async def test_without_the_cache_every_home_query_is_executed(
    runtime: Runtime, clock: MovableClock, sql_log: SqlLog
) -> None:
    settings = replace(runtime.settings, response_cache=False)
    app = create_app(settings, replace(runtime, settings=settings, responses=None))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        api = Api(http, settings)
        await create_item(api, title="Mug")
        for _ in range(2):
            await api.data(MALL, api.user("mei"))
        sql_log.statements.clear()
        await api.data(MALL, api.user("mei"))
        assert sql_log.statements


async def test_a_kept_answer_still_draws_from_the_rate_limit(
    runtime: Runtime, clock: MovableClock
) -> None:
    async with limited(runtime, RateLimits(read=Rate(4, 60))) as api:
        for _ in range(4):
            await api.data(MALL, api.user("mei"))
        response = await api.http.post(
            "/graphql", json={"query": MALL}, headers={"authorization": f"Bearer {api.user('mei')}"}
        )
        assert response.status_code == 429
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"


POINTS = "{ me { nickname points { balance pending } } }"


async def test_the_points_summary_is_kept_and_never_late(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    await grant(api, "mei", 100)
    later = (clock.now() + timedelta(seconds=30)).isoformat()
    await grant(api, "mei", 50, "pending", availableAt=later)
    for _ in range(2):
        points = (await api.data(POINTS, api.user("mei")))["me"]["points"]
        assert points == {"balance": 100, "pending": 50}
    sql_log.statements.clear()
    assert (await api.data(POINTS, api.user("mei")))["me"]["points"]["balance"] == 100
    assert sql_log.statements == []
    await grant(api, "mei", 5, "more")  # the reader's own points move: shown at once
    assert (await api.data(POINTS, api.user("mei")))["me"]["points"]["balance"] == 105
    clock.advance(timedelta(seconds=30))  # the pending points become spendable: on time
    points = (await api.data(POINTS, api.user("mei")))["me"]["points"]
    assert points == {"balance": 155, "pending": 0}


def test_one_users_tokens_with_other_roles_are_other_readers() -> None:
    """An answer kept for a token with more roles is never given to one with fewer."""
    user = Principal(user_id="mei", roles=frozenset({Role.USER}))
    admin = Principal(user_id="mei", roles=frozenset({Role.USER, Role.ADMIN}))
    assert len({reader_of(None), reader_of(user), reader_of(admin)}) == 3
