"""Task lists and leaderboards cost the same few queries however many rows they show."""

from __future__ import annotations

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.conftest import SqlLog
from tests.engagement.helpers import CHECK_IN, MY_TASKS, RECORD_EVENT, create_task, record_order
from tests.engagement.test_leaderboards import grant

ADMIN_TASKS = """{ tasks { id title event window status reward claimable nextReward hint
  audienceId progress { current target percent } tiers { target reward reached } } }"""
BOARD = """query($first: Int!) { leaderboard(period: WEEKLY, first: $first) {
  entries { rank nickname points } me { rank points } } }"""
EVENTS = ("ORDER_PAID", "CHECK_IN", "REVIEW", "SHARE")


async def add_tasks(api: Api, numbers: range) -> None:
    """Tasks of every event and window, some tiered, some reached by mei."""
    for number in numbers:
        event = EVENTS[number % len(EVENTS)]
        if number % 2:
            await create_task(
                api,
                title=f"Tiered {number}",
                event=event,
                window="MONTHLY",
                tiers=[{"target": 1, "reward": 10}, {"target": 3, "reward": 30}],
                autoClaim=False,
            )
        else:
            await create_task(
                api,
                title=f"Once {number}",
                event=event,
                window="ONCE",
                targetCount=2,
                rewardPoints=5,
            )
    await record_order(api, order_id=f"o-{numbers.stop}")
    await api.data(CHECK_IN, api.user("mei"), key=f"c-{numbers.stop}")
    await api.data(
        RECORD_EVENT,
        api.service(),
        input={"eventId": f"e-{numbers.stop}", "userId": "mei", "type": "REVIEW"},
    )


async def test_task_lists_cost_the_same_queries_however_many_tasks(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    await add_tasks(api, range(2))
    mine_few = await sql_log.count(api.data(MY_TASKS, api.user("mei")))
    all_few = await sql_log.count(api.data(ADMIN_TASKS, api.admin()))
    await add_tasks(api, range(2, 12))
    mine, mine_many = await sql_log.count(api.data(MY_TASKS, api.user("mei")))
    every, all_many = await sql_log.count(api.data(ADMIN_TASKS, api.admin()))
    assert len(mine["me"]["tasks"]) == len(every["tasks"]) == 12
    assert any(task["progress"]["current"] for task in mine["me"]["tasks"])
    assert mine_few[1] == mine_many <= 4, sql_log.statements
    assert all_few[1] == all_many <= 1, sql_log.statements


async def test_a_leaderboard_costs_the_same_queries_however_long(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    for number in range(12):
        await grant(api, f"user-{number:02}", 100 + number, f"g{number}")
    short = await sql_log.count(api.data(BOARD, api.user("user-03"), first=2))
    board, long = await sql_log.count(api.data(BOARD, api.user("user-03"), first=12))
    assert len(board["leaderboard"]["entries"]) == 12
    assert short[1] == long <= 2, sql_log.statements  # the caller's account, the nicknames
