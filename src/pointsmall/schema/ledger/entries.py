"""Ledger entries as clients see them; the inputs and payloads of the mutations that move
points."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay

from pointsmall import access
from pointsmall.models import EntryKind as EntryKindModel
from pointsmall.schema.context import Info
from pointsmall.schema.errors import UserError

if TYPE_CHECKING:
    from pointsmall.models import Entry

if TYPE_CHECKING:
    from pointsmall.schema.ledger.accounts import Account

EntryKind = EntryKindModel
strawberry.enum(EntryKind, description="What an entry did to the account.")
AccountType = Annotated["Account", strawberry.lazy("pointsmall.schema.ledger.accounts")]


@strawberry.type(description="Who made an entry, and how (admins only).")
class EntryAudit:
    actor: str
    actor_role: str
    request_id: str | None
    idempotency_key: str | None
    counterparty: str


@strawberry.type(description="One change to a points account. Entries are never changed.")
class LedgerEntry(relay.Node):
    id: relay.NodeID[int]
    kind: EntryKind
    amount: int = strawberry.field(description="Signed points: positive credits the account.")
    balance_after: int = strawberry.field(
        description="Running total after this entry: spendable plus pending points."
    )
    reason: str | None
    reference: str | None = strawberry.field(
        description="What the entry is about, e.g. an order or a redemption."
    )
    created_at: datetime
    _audit: strawberry.Private[EntryAudit]

    @classmethod
    def from_model(cls, entry: Entry) -> Self:
        return cls(
            id=entry.id,
            kind=entry.kind,
            amount=entry.amount,
            balance_after=entry.balance_after,
            reason=entry.reason,
            reference=entry.reference,
            created_at=entry.created_at,
            _audit=EntryAudit(
                actor=entry.actor,
                actor_role=entry.actor_role,
                request_id=entry.request_id,
                idempotency_key=entry.idempotency_key,
                counterparty=entry.counterparty.value,
            ),
        )

    @strawberry.field(description="The audit trail of this entry. Admins only.")
    def audit(self, info: Info) -> EntryAudit:
        access.require_admin(info, "the audit trail")
        return self._audit


LedgerConnection = relay.Connection[LedgerEntry]


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
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AdjustPointsPayload:
    entry: LedgerEntry | None = None
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ForfeitPointsPayload:
    entry: LedgerEntry | None = None
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReverseEntryPayload:
    entry: LedgerEntry | None = None
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
