"""Inputs and payloads of the mutations that move points."""

from __future__ import annotations

from datetime import datetime

import strawberry

from pointsmall.schema.accounts import Account
from pointsmall.schema.errors import UserError
from pointsmall.schema.ledger import LedgerEntry


@strawberry.input(description="Give points to a user (the shop's back end).")
class GrantPointsInput:
    user_id: str = strawberry.field(description="The shop's user id.")
    amount: int
    reason: str
    idempotency_key: str
    expires_at: datetime | None = strawberry.field(
        default=None, description="Default: the programme's expiry policy."
    )
    available_at: datetime | None = strawberry.field(
        default=None, description="The points stay pending until then. Default: now."
    )


@strawberry.input(description="An admin's signed correction to a user's points.")
class AdjustPointsInput:
    user_id: str
    amount: int = strawberry.field(description="Positive to credit, negative to debit.")
    reason: str
    idempotency_key: str


@strawberry.input(description="Remove all of a user's points, as a penalty (admin).")
class ForfeitPointsInput:
    user_id: str
    reason: str
    idempotency_key: str


@strawberry.input(description="Give back all or part of a debit entry (admin).")
class ReverseEntryInput:
    entry_id: strawberry.ID
    amount: int | None = strawberry.field(default=None, description="Default: all that is left.")
    reason: str
    idempotency_key: str


@strawberry.type
class GrantPointsPayload:
    entry: LedgerEntry | None = None
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AdjustPointsPayload:
    entry: LedgerEntry | None = None
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ForfeitPointsPayload:
    entry: LedgerEntry | None = None
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReverseEntryPayload:
    entry: LedgerEntry | None = None
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
