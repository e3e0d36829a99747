"""Listeners hear of a change only after it committed, and never of one rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain import events
from pointsmall.domain.errors import InsufficientPoints
from pointsmall.domain.ledger import entries
from pointsmall.models import Account
from tests.ledger.helpers import RULES, account, request


@pytest.fixture
def heard() -> Iterator[list[tuple[events.Event, int]]]:
    log: list[tuple[events.Event, int]] = []

    async def listener(event: events.Event) -> None:
        if isinstance(event, events.AccountChanged):
            # What the listener can read is the committed state.
            row = await Account.get(id=event.account_id)
            log.append((event, row.ledger_balance))

    remove = events.listen(listener)
    yield log
    remove()


async def test_events_follow_the_commit(
    db: str, clock: MovableClock, heard: list[tuple[events.Event, int]]
) -> None:
    user = await account()
    await entries.earn(user.id, 50, request("e"), RULES)
    assert heard == [(events.AccountChanged(user.id), 50)]
    with pytest.raises(InsufficientPoints):
        await entries.spend(user.id, 80, request("s"))
    assert len(heard) == 1  # a refused operation announces nothing


async def test_nested_operations_announce_once_after_the_outer_commit(
    db: str, clock: MovableClock, heard: list[tuple[events.Event, int]]
) -> None:
    user = await account()
    async with events.atomic():
        await entries.earn(user.id, 10, request("a"), RULES)
        await entries.earn(user.id, 20, request("b"), RULES)
        assert heard == []
    assert heard == [(events.AccountChanged(user.id), 30)]

    async def outer_work_that_fails() -> None:
        async with events.atomic():
            await entries.earn(user.id, 5, request("c"), RULES)
            raise RuntimeError("the outer work failed")

    with pytest.raises(RuntimeError):
        await outer_work_that_fails()
    assert len(heard) == 1
    assert (await Account.get(id=user.id)).ledger_balance == 30
