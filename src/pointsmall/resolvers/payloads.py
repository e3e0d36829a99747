"""Mutations answer with a payload: the changed object, or the business rule that refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from pointsmall.domain.errors import DomainError
from pointsmall.schema.context import Info
from pointsmall.schema.errors import UserError, user_error


class Payload(Protocol):
    def __init__(self, *, errors: list[UserError]) -> None: ...


P = TypeVar("P", bound=Payload)


async def mutate(info: Info, payload: type[P], work: Callable[[], Awaitable[P]]) -> P:
    """The payload `work` builds; a business refusal becomes the payload's `errors`.

    What the operation loaded before the change may be stale now: the payload's fields,
    and the operation's next mutations, load afresh."""
    try:
        done = await work()
    except DomainError as error:
        return payload(errors=[user_error(error)])
    info.context.forget_loaded()
    return done
