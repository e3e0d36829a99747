"""What the domain tells the rest of the system after a transaction commits.

The domain knows nothing of brokers or websockets: it emits events to whatever listeners
the running process installed (the runtime installs one that publishes to the broker).
A listener's failure is logged and never undoes the operation that already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("pointsmall.events")


@dataclass(frozen=True)
class AccountChanged:
    """An account's points moved (or it was frozen or unfrozen)."""

    account_id: int


Event = AccountChanged
Listener = Callable[[Event], Awaitable[None]]
_listeners: list[Listener] = []


def listen(listener: Listener) -> Callable[[], None]:
    """Install a listener; returns the function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


async def emit(*events: Event) -> None:
    for event in events:
        for listener in list(_listeners):
            try:
                await listener(event)
            except Exception:
                log.exception("listener failed on %s", event)
