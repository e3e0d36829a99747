"""Ops change and withdraw tasks; tasks count weekly windows, shares and custom events."""

from __future__ import annotations

from datetime import timedelta

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.engagement.helpers import (
    RECORD_EVENT,
    UPDATE_TASK,
    UPSERT,
    create_task,
    my_tasks,
    points,
    record_order,
)
from tests.mall.helpers import create_item

ARCHIVE_TASK = """mutation($input: ArchiveTaskInput!) { archiveTask(input: $input) {
  task { id } errors { code } } }"""
CLAIM = """mutation($input: ClaimTaskRewardInput!) { claimTaskReward(input: $input) {
  reward errors { code } } }"""
SHARE = (
    """mutation($input: ShareInput!) { share(input: $input) { share { url } errors { code } } }"""
)


async def event(api: Api, event_id: str, kind: str, at: str) -> None:
    result = await api.data(
        RECORD_EVENT,
        api.service(),
        input={"eventId": event_id, "userId": "mei", "type": kind, "occurredAt": at},
    )
    assert result["recordEvent"]["errors"] == [], result


async def test_an_updated_task_keeps_its_progress(api: Api, clock: MovableClock) -> None:
    task = await create_task(
        api,
        title="Orders",
        event="ORDER_PAID",
        window="MONTHLY",
        targetCount=3,
        rewardPoints=100,
        autoClaim=False,
    )
    await record_order(api, paidAt=clock.now().isoformat())
    changed = await api.data(
        UPDATE_TASK,
        api.admin(),
        input={"taskId": task["id"], "title": "Two orders", "targetCount": 2, "rewardPoints": 80},
    )
    assert changed["updateTask"] == {
        "task": {"title": "Two orders", "tiers": [{"target": 2, "reward": 80}]},
        "errors": [],
    }
    mine = (await my_tasks(api))["Two orders"]
    assert (mine["progress"]["current"], mine["hint"]) == (
        1,
        "Place 1 more order to unlock 80 points",
    )
    refused = await api.data(
        UPDATE_TASK, api.admin(), input={"taskId": task["id"], "targetCount": 0}
    )
    assert refused["updateTask"]["errors"][0]["code"] == "INVALID_VALUE"
    assert (await my_tasks(api))["Two orders"]["progress"]["target"] == 2  # nothing changed
    forbidden = await api.post(UPDATE_TASK, api.user("mei"), input={"taskId": task["id"]})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_archived_task_counts_and_pays_nothing_more(api: Api, clock: MovableClock) -> None:
    task = await create_task(
        api,
        title="Review",
        event="REVIEW",
        window="ONCE",
        targetCount=1,
        rewardPoints=30,
        autoClaim=False,
    )
    await event(api, "e-1", "REVIEW", clock.now().isoformat())
    assert (await my_tasks(api))["Review"]["status"] == "COMPLETED"
    archived = await api.data(ARCHIVE_TASK, api.admin(), input={"taskId": task["id"]})
    assert archived["archiveTask"]["errors"] == []
    assert "Review" not in await my_tasks(api)
    claimed = await api.data(
        CLAIM, api.user("mei"), input={"taskId": task["id"], "idempotencyKey": "c1"}
    )
    assert claimed["claimTaskReward"] == {"reward": 0, "errors": [{"code": "INVALID_STATE"}]}
    assert (await points(api))["balance"] == 0
    again = await api.data(UPDATE_TASK, api.admin(), input={"taskId": task["id"], "title": "x"})
    assert again["updateTask"]["errors"][0]["code"] == "INVALID_STATE"


async def test_weekly_windows_follow_the_users_week(api: Api, clock: MovableClock) -> None:
    # Monday 23 Nov 09:30 UTC is Sunday 23:30 in Honolulu (UTC-10): the week before.
    await api.data(UPSERT, api.service(), input={"userId": "mei", "timezone": "Pacific/Honolulu"})
    await create_task(
        api, title="Weekly review", event="REVIEW", window="WEEKLY", targetCount=2, rewardPoints=5
    )
    await event(api, "e-1", "REVIEW", clock.now().isoformat())
    assert (await my_tasks(api))["Weekly review"]["progress"]["current"] == 1
    clock.advance(timedelta(hours=1))  # Monday 00:30 there: a new week
    assert (await my_tasks(api))["Weekly review"]["progress"]["current"] == 0
    await event(api, "e-2", "REVIEW", clock.now().isoformat())
    clock.advance(timedelta(days=6, hours=23))  # Sunday 23:30 of the same week
    await event(api, "e-3", "REVIEW", clock.now().isoformat())
    assert (await my_tasks(api))["Weekly review"]["status"] == "CLAIMED"


async def test_custom_events_and_shares_count_towards_their_tasks(
    api: Api, clock: MovableClock
) -> None:
    await create_task(
        api,
        title="Watch a live stream",
        event="CUSTOM",
        customEvent="LIVE_WATCHED",
        window="DAILY",
        targetCount=1,
        rewardPoints=15,
    )
    await create_task(
        api, title="Share twice", event="SHARE", window="DAILY", targetCount=2, rewardPoints=25
    )
    await event(api, "e-1", "OTHER_THING", clock.now().isoformat())
    assert (await my_tasks(api))["Watch a live stream"]["progress"]["current"] == 0
    await event(api, "e-2", "live_watched", clock.now().isoformat())
    assert (await my_tasks(api))["Watch a live stream"]["status"] == "CLAIMED"
    for number in range(2):
        item = await create_item(api, title=f"Item {number}")
        shared = await api.data(
            SHARE,
            api.user("mei"),
            input={"target": "ITEM", "targetId": item["id"], "idempotencyKey": f"s{number}"},
        )
        assert shared["share"]["errors"] == []
    assert (await my_tasks(api))["Share twice"]["status"] == "CLAIMED"
    # 15 + 25 for the tasks, 2 x 10 for the shares themselves
    assert (await points(api))["balance"] == 60
