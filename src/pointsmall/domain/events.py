"""What the domain tells the rest of the system once a transaction has committed.

Domain operations run in `atomic()`: a database transaction that also collects the events
recorded inside it (`after_commit`) and hands them to the listeners only after the
outermost transaction commits; a rollback drops them. So a subscriber that reacts to an
event always reads the committed state, and nothing is announced that did not happen.

The domain knows nothing of brokers or websockets: the running process installs the
listeners (the runtime installs one that publishes to the broker). A listener's failure
is logged and never undoes the operation that already committed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

if TYPE_CHECKING:
    from pointsmall.domain.notifications.notices import Notice

log = logging.getLogger("pointsmall.events")


@dataclass(frozen=True)
class AccountChanged:
    """An account's points moved (or it was frozen or unfrozen)."""

    account_id: int


@dataclass(frozen=True)
class PointsIssued:
    """Points were issued to (positive) or taken back from (negative) an account: its
    leaderboard score moves by `amount` in the periods containing `at`."""

    account_id: int
    amount: int
    at: datetime


@dataclass(frozen=True)
class AccountStanding:
    """An account was frozen or unfrozen: leaderboards leave it out, or take it back."""

    account_id: int
    frozen: bool


@dataclass(frozen=True)
class NotificationCreated:
    """A notification was stored: publish it to the user's live connections."""

    account_id: int
    notification_id: int
    previous_id: int  # the user's notification before this one (0: none)
    notice: Notice
    created_at: datetime


@dataclass(frozen=True)
class StockAdded:
    """Units were added to an item's stock: a restock, new coupon codes, a cancellation."""

    item_id: int
    quantity: int


@dataclass(frozen=True)
class StockTaken:
    """Units of an item were sold: the stock every reader sees moved."""

    item_id: int


@dataclass(frozen=True)
class CatalogueChanged:
    """Ops created or changed an item."""

    item_id: int
    created: bool = False


@dataclass(frozen=True)
class QuotaReturned:
    """A user's quota of an item came back for one period (a cancellation)."""

    item_id: int
    account_id: int
    period: str
    quantity: int


@dataclass(frozen=True)
class AudienceChanged:
    """Ops changed an audience's rule: who sees which items and tasks may have changed."""

    audience_id: int


@dataclass(frozen=True)
class CampaignChanged:
    """Ops changed a campaign, or moved it in its life: prices and earnings may differ."""

    campaign_id: int


@dataclass(frozen=True)
class ReviewQueued:
    """Something waits for ops: a risk case opened, a redemption awaits review."""

    kind: str  # "case" or "redemption"
    id: int


Event = (
    AccountChanged
    | PointsIssued
    | AccountStanding
    | NotificationCreated
    | StockAdded
    | StockTaken
    | QuotaReturned
    | CatalogueChanged
    | AudienceChanged
    | CampaignChanged
    | ReviewQueued
)
Listener = Callable[[Event], Awaitable[None]]
_listeners: list[Listener] = []


@dataclass
class _Pending:
    """A transaction's events, and the accounts already said to have changed."""

    events: list[Event] = field(default_factory=list)
    changed: set[int] = field(default_factory=set)


_pending: ContextVar[_Pending | None] = ContextVar("pointsmall_pending_events", default=None)


def listen(listener: Listener) -> Callable[[], None]:
    """Install a listener; returns the function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """One transaction (a savepoint when nested); its events go out after the commit."""
    if _pending.get() is not None:
        async with in_transaction():
            yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        async with in_transaction():
            yield
        committed = pending.events
    finally:
        _pending.reset(token)
    await _emit(committed)


def after_commit(event: Event) -> None:
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("after_commit() outside atomic()")
    if isinstance(event, AccountChanged):
        if event.account_id in pending.changed:
            return  # one "something changed" per account and transaction is enough
        pending.changed.add(event.account_id)
    pending.events.append(event)


async def _emit(events: list[Event]) -> None:
    for event in events:
        for listener in list(_listeners):
            try:
                await listener(event)
            except Exception:
                log.exception("listener failed on %s", event)
