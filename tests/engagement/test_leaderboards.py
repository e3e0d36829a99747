"""Leaderboards: points earned in the period, ties to the earlier, frozen users left out,
refunds taken off, and a rebuild from the database that agrees."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pointsmall import clock as service_clock
from pointsmall.clock import MovableClock
from pointsmall.domain.engagement.leaderboards import TOP_SECONDS, Period, board_key
from pointsmall.runtime import Runtime
from pointsmall.schema.node import parse_global_id
from tests.api import Api
from tests.engagement.helpers import REFUND_ORDER, UPSERT, record_order

BOARD = """query($period: LeaderboardPeriod!) { leaderboard(period: $period, first: 10) {
  entries { rank nickname points } me { rank points } } }"""
GRANT = """mutation($input: GrantPointsInput!) { grantPoints(input: $input) { errors { code } } }"""
FREEZE = (
    """mutation($input: FreezeAccountInput!) { freezeAccount(input: $input) { errors { code } } }"""
)
UNFREEZE = """mutation($input: UnfreezeAccountInput!) { unfreezeAccount(input: $input) {
  errors { code } } }"""


async def grant(api: Api, user: str, amount: int, key: str) -> None:
    await api.data(UPSERT, api.service(), input={"userId": user, "nickname": user.title()})
    await api.data(
        GRANT,
        api.service(),
        input={"userId": user, "amount": amount, "reason": "r", "idempotencyKey": key},
    )


async def test_ranks_by_points_earned_with_ties_to_the_earlier(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "ana", 300, "a1")
    clock.advance(timedelta(minutes=1))
    await grant(api, "bob", 500, "b1")
    clock.advance(timedelta(minutes=1))
    await grant(api, "cai", 300, "c1")  # the same as ana, but later
    board = (await api.data(BOARD, api.user("cai"), period="DAILY"))["leaderboard"]
    assert board["entries"] == [
        {"rank": 1, "nickname": "Bob", "points": 500},
        {"rank": 2, "nickname": "Ana", "points": 300},
        {"rank": 3, "nickname": "Cai", "points": 300},
    ]
    assert board["me"] == {"rank": 3, "points": 300}
    clock.advance(timedelta(days=1))
    tomorrow = (await api.data(BOARD, api.user("cai"), period="DAILY"))["leaderboard"]
    assert tomorrow == {"entries": [], "me": None}
    assert len((await api.data(BOARD, None, period="ALL_TIME"))["leaderboard"]["entries"]) == 3


async def test_frozen_accounts_are_left_out_and_refunds_come_off(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "ana", 300, "a1")
    await grant(api, "bob", 200, "b1")
    await api.data(FREEZE, api.admin(), input={"userId": "ana", "reason": "fraud check"})
    await grant(api, "ana", 50, "a2")  # earned while frozen: recorded, still off the board
    board = (await api.data(BOARD, None, period="WEEKLY"))["leaderboard"]["entries"]
    assert [entry["nickname"] for entry in board] == ["Bob"]
    await api.data(UNFREEZE, api.admin(), input={"userId": "ana", "reason": "cleared"})
    board = (await api.data(BOARD, None, period="WEEKLY"))["leaderboard"]["entries"]
    assert [(entry["nickname"], entry["points"]) for entry in board] == [("Ana", 350), ("Bob", 200)]
    await record_order(api, user="bob", paidAt=clock.now().isoformat())  # +100
    await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "r-1", "lines": [{"sku": "tv-1", "amount": 10_000}]},
    )
    board = (await api.data(BOARD, None, period="WEEKLY"))["leaderboard"]["entries"]
    assert [(entry["nickname"], entry["points"]) for entry in board] == [("Ana", 350), ("Bob", 200)]


async def test_a_refund_in_a_later_week_ranks_nobody_below_zero(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    await api.data(UPSERT, api.service(), input={"userId": "bob", "nickname": "Bob"})
    await record_order(api, user="bob", paidAt=clock.now().isoformat())  # +100 this week
    clock.advance(timedelta(days=7))
    await grant(api, "ana", 50, "a1")
    await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-1", "refundId": "r-1", "lines": [{"sku": "tv-1", "amount": 10_000}]},
    )  # -100 next week
    for rebuilt in (False, True):
        if rebuilt:
            await runtime.leaderboards.rebuild(service_clock.now())
        board = (await api.data(BOARD, api.user("bob"), period="WEEKLY"))["leaderboard"]
        assert board == {"entries": [{"rank": 1, "nickname": "Ana", "points": 50}], "me": None}
        all_time = (await api.data(BOARD, None, period="ALL_TIME"))["leaderboard"]["entries"]
        assert [entry["nickname"] for entry in all_time] == ["Ana"]  # Bob's net is 0


async def test_the_rebuild_from_the_database_agrees(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    for number, user in enumerate(["ana", "bob", "cai", "dee"]):
        await grant(api, user, 100 * (number + 1), f"g{number}")
        clock.advance(timedelta(seconds=30))
    await grant(api, "ana", 300, "g-more")  # ana ties dee at 400, later
    before = (await api.data(BOARD, None, period="MONTHLY"))["leaderboard"]["entries"]
    await runtime.redis.flushdb()
    clock.advance(TOP_SECONDS)  # what this process kept of the board
    assert (await api.data(BOARD, None, period="MONTHLY"))["leaderboard"]["entries"] == []
    await runtime.leaderboards.rebuild(service_clock.now())
    after = (await api.data(BOARD, None, period="MONTHLY"))["leaderboard"]["entries"]
    assert after == before
    assert [entry["nickname"] for entry in after] == ["Dee", "Ana", "Cai", "Bob"]


async def test_bad_sizes_are_refused(api: Api, clock: MovableClock) -> None:
    query = "{ leaderboard(period: DAILY, first: 1000) { entries { rank } } }"
    assert await api.error_code(query) == "BAD_USER_INPUT"


async def test_another_workers_changes_show_within_a_second(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    """The top of a board is kept for a second; this process's own writes show at once."""
    await grant(api, "ana", 300, "a1")

    def ranked(data: dict[str, Any]) -> list[str]:
        return [entry["nickname"] for entry in data["leaderboard"]["entries"]]

    assert ranked(await api.data(BOARD, period="ALL_TIME")) == ["Ana"]
    await grant(api, "bob", 500, "b1")  # written here: shown at once
    assert ranked(await api.data(BOARD, period="ALL_TIME")) == ["Bob", "Ana"]
    cai = await api.data(UPSERT, api.service(), input={"userId": "cai", "nickname": "Cai"})
    assert cai["upsertUser"]["errors"] == []
    account = (await api.data('{ account(userId: "cai") { id } }', api.admin()))["account"]
    _, account_id = parse_global_id(account["id"], "id", "Account")
    # what another worker would write after a commit of its own: cai's points on the board
    key = board_key(Period.ALL_TIME, clock.now(), runtime.settings.zone)
    await runtime.redis.zadd(key, {str(account_id): 900.5})
    assert ranked(await api.data(BOARD, period="ALL_TIME")) == ["Bob", "Ana"]
    clock.advance(TOP_SECONDS)
    assert ranked(await api.data(BOARD, period="ALL_TIME")) == ["Cai", "Bob", "Ana"]
