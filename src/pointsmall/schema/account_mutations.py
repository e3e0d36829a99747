"""Inputs and payloads of the mutations on accounts and profiles."""

from __future__ import annotations

from datetime import datetime

import strawberry

from pointsmall.schema.accounts import Account
from pointsmall.schema.errors import UserError


@strawberry.input(description="Create or update a user's profile (the shop's back end).")
class UpsertUserInput:
    user_id: str = strawberry.field(description="The shop's user id.")
    nickname: str | None = strawberry.field(default=None, description="Shown on leaderboards.")
    timezone: str | None = strawberry.field(
        default=None, description="IANA time zone, e.g. Asia/Shanghai: where the user's days are."
    )
    registered_at: datetime | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="Audience tags; replaces the stored list when given."
    )


@strawberry.input
class FreezeAccountInput:
    user_id: str
    reason: str


@strawberry.input
class UnfreezeAccountInput:
    user_id: str
    reason: str


@strawberry.type
class UpsertUserPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FreezeAccountPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UnfreezeAccountPayload:
    account: Account | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
