"""Daily check-ins in the user's own day: once a day, streaks, rewards, the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.engagement.helpers import CHECK_IN, UPSERT, points

CARD = """{ me { checkIn { checkedInToday streak todayReward nextReward
  calendar(month: "2026-11") { date checkedIn reward } } } }"""


async def check_in(api: Api, key: str, user: str = "mei") -> dict[str, object]:
    result = await api.data(CHECK_IN, api.user(user), key=key)
    payload: dict[str, object] = result["checkIn"]
    return payload


async def test_a_week_of_check_ins_then_a_missed_day(api: Api, clock: MovableClock) -> None:
    rewards = []
    for day in range(8):
        payload = await check_in(api, f"day-{day}")
        assert payload["errors"] == []
        rewards.append(payload["checkIn"]["reward"])  # type: ignore[index]
        clock.advance(timedelta(days=1))
    assert rewards == [10, 10, 10, 10, 10, 10, 20, 10]  # day 7 doubles, then it repeats
    assert (await points(api))["balance"] == 90
    clock.advance(timedelta(days=1))  # a day missed
    payload = await check_in(api, "after-gap")
    assert payload["checkIn"]["streak"] == 1  # type: ignore[index]


async def test_once_a_day_and_retries_answer_the_same(api: Api, clock: MovableClock) -> None:
    first = await check_in(api, "k1")
    assert await check_in(api, "k1") == first
    second = await check_in(api, "k2")
    assert second["errors"][0]["code"] == "ALREADY_CHECKED_IN"  # type: ignore[index]
    card = (await api.data(CARD, api.user("mei")))["me"]["checkIn"]
    assert (card["checkedInToday"], card["streak"], card["todayReward"], card["nextReward"]) == (
        True,
        1,
        10,
        10,
    )
    days = {day["date"]: day for day in card["calendar"]}
    assert len(days) == 30
    assert days["2026-11-23"] == {"date": "2026-11-23", "checkedIn": True, "reward": 10}
    assert days["2026-11-22"]["checkedIn"] is False


async def test_a_bad_month_is_a_bad_request(api: Api, clock: MovableClock) -> None:
    query = '{ me { checkIn { calendar(month: "November") { date } } } }'
    assert await api.error_code(query, api.user("mei")) == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("zone", "utc_time", "local_day"),
    [
        # 00:30 local time in both: UTC+14 is already the 24th, UTC-12 only just the 23rd.
        ("Pacific/Kiritimati", datetime(2026, 11, 23, 10, 30, tzinfo=UTC), "2026-11-24"),
        ("Etc/GMT+12", datetime(2026, 11, 23, 12, 30, tzinfo=UTC), "2026-11-23"),
    ],
)
async def test_the_day_is_the_users_own(
    api: Api, clock: MovableClock, zone: str, utc_time: datetime, local_day: str
) -> None:
    await api.data(UPSERT, api.service(), input={"userId": "mei", "timezone": zone})
    clock.set(utc_time)
    assert (await check_in(api, "a"))["checkIn"]["date"] == local_day  # type: ignore[index]
    clock.advance(timedelta(hours=23))  # 23:30, the same local day
    same_day = await check_in(api, "b")
    assert same_day["errors"][0]["code"] == "ALREADY_CHECKED_IN"  # type: ignore[index]
    clock.advance(timedelta(hours=1))  # 00:30, the next local day
    next_day = await check_in(api, "c")
    assert next_day["checkIn"]["streak"] == 2  # type: ignore[index]


async def test_check_ins_across_a_dst_change(api: Api, clock: MovableClock) -> None:
    # New York falls back on 1 November 2026: that local day has 25 hours.
    await api.data(UPSERT, api.service(), input={"userId": "mei", "timezone": "America/New_York"})
    clock.set(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))  # 19:30 EDT, 31 October
    await check_in(api, "oct-31")
    clock.set(datetime(2026, 11, 1, 4, 30, tzinfo=UTC))  # 00:30 EDT, 1 November
    assert (await check_in(api, "nov-1"))["checkIn"]["streak"] == 2  # type: ignore[index]
    clock.set(datetime(2026, 11, 2, 4, 30, tzinfo=UTC))  # 23:30 EST, still 1 November
    again = await check_in(api, "nov-1-late")
    assert again["errors"][0]["code"] == "ALREADY_CHECKED_IN"  # type: ignore[index]
    clock.set(datetime(2026, 11, 2, 5, 30, tzinfo=UTC))  # 00:30 EST, 2 November
    assert (await check_in(api, "nov-2"))["checkIn"]["streak"] == 3  # type: ignore[index]
