"""RFM: quintile scores over the last 365 days of paid orders net of refunds, the named
segments, the nightly job's moves, stable between runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.audience.rfm import restate_rfm, rfm_segment
from pointsmall.models import Account, Dimension, Order, RfmSegment, SegmentChange
from tests.api import Api

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), RfmSegment.CHAMPIONS),
        ((4, 4, 3), RfmSegment.CHAMPIONS),  # FM rounds half up: (4 + 3 + 1) // 2 = 4
        ((3, 5, 5), RfmSegment.LOYAL),
        ((5, 2, 2), RfmSegment.POTENTIAL),
        ((5, 3, 2), RfmSegment.LOYAL),  # FM (3 + 2 + 1) // 2 = 3
        ((5, 1, 1), RfmSegment.NEW_CUSTOMERS),
        ((2, 5, 4), RfmSegment.AT_RISK),
        ((2, 1, 2), RfmSegment.HIBERNATING),
        ((1, 2, 1), RfmSegment.LOST),
    ],
)
def test_scores_name_a_segment(scores: tuple[int, int, int], segment: RfmSegment) -> None:
    assert rfm_segment(*scores) is segment


async def buyer(user: str, orders: list[tuple[int, int, int]], clock: MovableClock) -> None:
    """(days ago, amount, refunded) per order."""
    now = clock.now()
    account = await Account.create(user_id=user, tags=[], created_at=now, updated_at=now)
    for number, (ago, amount, refunded) in enumerate(orders):
        await Order.create(
            order_id=f"{user}-{number}",
            account_id=account.id,
            paid_at=now - ago * DAY,
            currency="USD",
            amount=amount,
            refunded_amount=refunded,
            points=0,
            lines=[],
            request_fingerprint="f",
            created_at=now,
        )


async def test_the_nightly_job_scores_names_and_moves(api: Api, clock: MovableClock) -> None:
    await buyer("champion", [(1, 10_000, 0)] * 5, clock)
    await buyer("loyal", [(10, 5_000, 0)] * 4 + [(5, 9_000, 9_000)], clock)  # refunded: no order
    await buyer("potential", [(2, 1_000, 0)], clock)
    await buyer("at-risk", [(200, 8_000, 0)] * 3, clock)
    await buyer("lost", [(300, 700, 200)], clock)  # 500 net of the refund
    await buyer("gone", [(400, 90_000, 0)], clock)  # over a year ago: no scores
    assert await restate_rfm(clock.now()) == 5
    scored = {
        account.user_id: (
            account.rfm_recency,
            account.rfm_frequency,
            account.rfm_monetary,
            account.rfm_segment,
        )
        for account in await Account.all()
    }
    assert scored == {
        "champion": (5, 5, 5, RfmSegment.CHAMPIONS),
        "loyal": (3, 4, 3, RfmSegment.LOYAL),
        "potential": (4, 1, 2, RfmSegment.POTENTIAL),  # ties share the lower rank
        "at-risk": (2, 3, 4, RfmSegment.AT_RISK),
        "lost": (1, 1, 1, RfmSegment.LOST),
        "gone": (None, None, None, None),
    }
    assert await restate_rfm(clock.now()) == 0  # stable between runs
    me = await api.data("{ me { rfm { recency frequency monetary segment } } }", api.user("loyal"))
    assert me["me"]["rfm"] == {"recency": 3, "frequency": 4, "monetary": 3, "segment": "LOYAL"}

    clock.advance(366 * DAY)  # a year without orders: no one has scores
    assert await restate_rfm(clock.now()) == 5
    assert not await Account.filter(rfm_segment__isnull=False).exists()
    moves = await SegmentChange.filter(dimension=Dimension.RFM, segment="NONE").count()
    assert moves == 5
    figures = await api.data(
        "{ segmentFigures { rfmSizes { segment users } rfmMoves { previous segment users } } }",
        api.admin(),
    )
    sizes = {row["segment"]: row["users"] for row in figures["segmentFigures"]["rfmSizes"]}
    assert sizes[None] == 6 and sizes["CHAMPIONS"] == 0
    assert {"previous": "CHAMPIONS", "segment": "NONE", "users": 1} in figures["segmentFigures"][
        "rfmMoves"
    ]
