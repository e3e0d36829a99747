"""The one Schema: queries, mutations and subscriptions of every domain, with their limits."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.schema.config import StrawberryConfig

from pointsmall.resolvers import accounts, ledger, node
from pointsmall.schema.account_mutations import (
    FreezeAccountPayload,
    UnfreezeAccountPayload,
    UpsertUserPayload,
)
from pointsmall.schema.accounts import Account
from pointsmall.schema.errors import ErrorPolicy
from pointsmall.schema.ledger import LedgerEntry
from pointsmall.schema.ledger_mutations import (
    AdjustPointsPayload,
    ForfeitPointsPayload,
    GrantPointsPayload,
    ReverseEntryPayload,
)
from pointsmall.schema.limits import (
    CachedParsing,
    CachedValidation,
    DepthAndAliasLimits,
    TokenLimit,
)


@strawberry.type
class Query:
    me: Account = strawberry.field(
        resolver=accounts.me, description="The calling user's account (role user)."
    )
    account: Account | None = strawberry.field(
        resolver=accounts.account, description="Any user's account by the shop's user id (admin)."
    )
    node: relay.Node | None = strawberry.field(
        resolver=node.node, description="Any object you may see, by its global ID."
    )


@strawberry.type
class Mutation:
    grant_points: GrantPointsPayload = strawberry.mutation(
        resolver=ledger.grant_points, description="Credit a user's points (service)."
    )
    upsert_user: UpsertUserPayload = strawberry.mutation(
        resolver=accounts.upsert_user, description="Create or update a user's profile (service)."
    )
    adjust_points: AdjustPointsPayload = strawberry.mutation(
        resolver=ledger.adjust_points, description="Correct a user's points, with a reason (admin)."
    )
    forfeit_points: ForfeitPointsPayload = strawberry.mutation(
        resolver=ledger.forfeit_points, description="Remove all of a user's points (admin)."
    )
    reverse_entry: ReverseEntryPayload = strawberry.mutation(
        resolver=ledger.reverse_entry, description="Give back all or part of a debit (admin)."
    )
    freeze_account: FreezeAccountPayload = strawberry.mutation(
        resolver=accounts.freeze_account,
        description="Stop an account from spending or holding points (admin).",
    )
    unfreeze_account: UnfreezeAccountPayload = strawberry.mutation(
        resolver=accounts.unfreeze_account, description="Lift a freeze (admin)."
    )


@strawberry.type
class Subscription:
    points_changed = strawberry.subscription(
        resolver=accounts.points_changed,
        description="The caller's points now, then after every change (role user).",
    )


class PointsmallSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors of the request are the client's business; unexpected ones are logged,
        with the request id, where they are masked (`ErrorPolicy`)."""


schema = PointsmallSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Account, LedgerEntry],
    extensions=[ErrorPolicy, TokenLimit, DepthAndAliasLimits, CachedParsing, CachedValidation],
    config=StrawberryConfig(relay_max_results=100),
)
