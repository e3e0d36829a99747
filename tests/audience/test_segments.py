"""Lifecycle segments: each threshold at its edge, orders and refunds moving a user, time
moving them through the hourly job, and what ops see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.audience import lifecycle
from pointsmall.domain.audience.lifecycle import (
    LifecycleRules,
    Purchases,
    restate_all_segments,
    segment_of,
)
from pointsmall.models import Account, Segment, SegmentChange
from tests.api import Api
from tests.engagement.helpers import REFUND_ORDER, UPSERT, record_order

RULES = LifecycleRules()
NOW = datetime.fromisoformat("2026-12-01T12:00:00+00:00")
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
ME = "{ me { segment segmentSince } }"
FIGURES = """query($since: DateTime) { segmentFigures(since: $since) {
  sizes { segment users } moves { previous segment users } } }"""


@pytest.mark.parametrize(
    ("registered_ago", "recent", "last_paid_ago", "expected"),
    [
        (7 * DAY - SECOND, 0, None, Segment.NEW),
        (7 * DAY, 0, None, Segment.DORMANT),  # never bought, no longer new
        (365 * DAY, 0, None, Segment.CHURNED),
        (400 * DAY, 3, DAY, Segment.ACTIVE),
        (400 * DAY, 2, DAY, Segment.REGULAR),
        (3 * DAY, 1, DAY, Segment.REGULAR),  # a new user's first order: no longer NEW
        (400 * DAY, 0, 90 * DAY - SECOND, Segment.REGULAR),
        (400 * DAY, 0, 90 * DAY, Segment.DORMANT),
        (400 * DAY, 0, 365 * DAY - SECOND, Segment.DORMANT),
        (400 * DAY, 0, 365 * DAY, Segment.CHURNED),
    ],
)
def test_each_threshold_at_its_edge(
    registered_ago: timedelta, recent: int, last_paid_ago: timedelta | None, expected: Segment
) -> None:
    last = NOW - last_paid_ago if last_paid_ago is not None else None
    assert segment_of(NOW - registered_ago, Purchases(recent, last), NOW, RULES) is expected


async def segment(api: Api, user: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(ME, api.user(user)))["me"]
    return found


async def test_orders_and_a_refund_move_a_user_and_ops_see_the_moves(
    api: Api, clock: MovableClock
) -> None:
    registered = clock.now() - 2 * DAY
    await api.data(
        UPSERT, api.service(), input={"userId": "mei", "registeredAt": registered.isoformat()}
    )
    assert (await segment(api, "mei"))["segment"] == "NEW"
    paid = clock.now().isoformat()
    for number in range(3):
        assert (await record_order(api, order_id=f"o-{number}", paidAt=paid))["errors"] == []
    me = await segment(api, "mei")
    assert me["segment"] == "ACTIVE"
    assert datetime.fromisoformat(me["segmentSince"]) == clock.now()

    refund = await api.data(
        REFUND_ORDER,
        api.service(),
        input={"orderId": "o-2", "refundId": "r-1", "lines": [{"sku": "tv-1", "amount": 10_000}]},
    )
    assert refund["refundOrder"]["refund"]["points"] > 0
    assert (await segment(api, "mei"))["segment"] == "REGULAR"  # two paid orders left

    changes = await SegmentChange.filter(account__user_id="mei").order_by("id")
    assert [(change.previous, change.segment) for change in changes] == [
        (Segment.NEW, Segment.REGULAR),  # the first order
        (Segment.REGULAR, Segment.ACTIVE),  # the third
        (Segment.ACTIVE, Segment.REGULAR),  # the refund
    ]
    figures = (await api.data(FIGURES, api.admin()))["segmentFigures"]
    sizes = {size["segment"]: size["users"] for size in figures["sizes"]}
    assert sizes == {"NEW": 0, "ACTIVE": 0, "REGULAR": 1, "DORMANT": 0, "CHURNED": 0}
    assert {"previous": "ACTIVE", "segment": "REGULAR", "users": 1} in figures["moves"]


async def test_time_moves_users_on_through_the_job(api: Api, clock: MovableClock) -> None:
    await api.data(
        UPSERT,
        api.service(),
        input={"userId": "old", "registeredAt": (clock.now() - 30 * DAY).isoformat()},
    )
    await api.data(UPSERT, api.service(), input={"userId": "fresh"})
    paid = clock.now().isoformat()
    assert (await record_order(api, order_id="o-1", user="old", paidAt=paid))["errors"] == []

    assert await restate_all_segments(clock.now(), RULES, batch=1) == 0  # nothing moved yet
    clock.advance(90 * DAY)
    assert await restate_all_segments(clock.now(), RULES, batch=1) == 2
    assert (await segment(api, "old"))["segment"] == "DORMANT"
    assert (await segment(api, "fresh"))["segment"] == "DORMANT"  # never bought
    assert await restate_all_segments(clock.now(), RULES) == 0  # stable between runs
    clock.advance(275 * DAY)
    assert await restate_all_segments(clock.now(), RULES) == 2
    figures = (await api.data(FIGURES, api.admin()))["segmentFigures"]
    assert {"previous": "DORMANT", "segment": "CHURNED", "users": 2} in figures["moves"]


async def test_the_job_leaves_an_account_an_order_moved_meanwhile(
    api: Api, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job reads a batch, then an order commits for one of its users: the order's
    restatement stands, and the job records no move for that user."""
    for user in ("racer", "idle"):
        await api.data(UPSERT, api.service(), input={"userId": user})
    clock.advance(8 * DAY)  # both past NEW, never bought: due to turn DORMANT
    read = lifecycle.purchases_of

    async def order_commits_meanwhile(*args: Any) -> dict[int, Purchases]:
        found = await read(*args)
        await Account.filter(user_id="racer").update(segment=Segment.ACTIVE)
        return found

    monkeypatch.setattr(lifecycle, "purchases_of", order_commits_meanwhile)
    assert await restate_all_segments(clock.now(), RULES) == 1
    assert (await segment(api, "racer"))["segment"] == "ACTIVE"
    assert (await segment(api, "idle"))["segment"] == "DORMANT"
    assert not await SegmentChange.filter(account__user_id="racer").exists()


async def test_segment_figures_are_for_admins_and_check_their_period(
    api: Api, clock: MovableClock
) -> None:
    refused = await api.post(FIGURES, api.user("mei"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    later = (clock.now() + DAY).isoformat()
    wrong = await api.post(FIGURES, api.admin(), since=later)
    assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
