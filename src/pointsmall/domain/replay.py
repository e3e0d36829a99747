"""One way to answer a request that was made before: with its first result.

Whatever changes something carries an identity that the database keeps unique: an
idempotency key, an order, refund or event id. `earlier` finds what a previous call made
under that identity, and refuses the same identity with other parameters
(IDEMPOTENCY_CONFLICT). `first_wins` runs the transaction that makes it and, when a
concurrent twin won the race on the unique constraint, answers with the twin's result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from tortoise.exceptions import IntegrityError

from pointsmall.domain.errors import IdempotencyConflict

T = TypeVar("T")


class Fingerprinted(Protocol):
    request_fingerprint: Any


R = TypeVar("R", bound=Fingerprinted)


def same_request(earlier: R | None, fingerprint: str, conflict: str, *, field: str) -> R | None:
    """`earlier`, if the same request made it; IDEMPOTENCY_CONFLICT (saying `conflict`) if
    another one did."""
    if earlier is not None and earlier.request_fingerprint != fingerprint:
        raise IdempotencyConflict(conflict, field=field)
    return earlier


async def first_wins(
    make: Callable[[], Awaitable[T]], made: Callable[[], Awaitable[T | None]]
) -> T:
    """`make()`; if it loses a race on a unique constraint, what the winner made."""
    try:
        return await make()
    except IntegrityError:
        found = await made()
        if found is None:
            raise
        return found
