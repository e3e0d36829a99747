"""Ledger entries as clients see them, and the ledger mutations' inputs and payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from pointsmall.auth import Role
from pointsmall.domain.ledger.history import entries_page
from pointsmall.models import Entry
from pointsmall.models import EntryKind as EntryKindModel
from pointsmall.schema.context import Info
from pointsmall.schema.errors import Forbidden
from pointsmall.schema.pagination import (
    connection,
    decode_cursor,
    encode_cursor,
    from_microseconds,
    microseconds,
    page_size,
)

EntryKind = EntryKindModel
strawberry.enum(EntryKind, description="What an entry did to the account.")
CURSOR = "entry"


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
    _model: strawberry.Private[Entry]

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
            _model=entry,
        )

    @strawberry.field(description="The audit trail of this entry. Admins only.")
    def audit(self, info: Info) -> EntryAudit:
        principal = info.context.principal
        if principal is None or not principal.has(Role.ADMIN):
            raise Forbidden("the audit trail is for admins")
        return EntryAudit(
            actor=self._model.actor,
            actor_role=self._model.actor_role,
            request_id=self._model.request_id,
            idempotency_key=self._model.idempotency_key,
            counterparty=self._model.counterparty.value,
        )


LedgerConnection = relay.Connection[LedgerEntry]


async def ledger_connection(
    account_id: int, first: int | None, after: str | None
) -> LedgerConnection:
    size = page_size(first)
    after_keys = decode_cursor(CURSOR, after, size=2)
    before = (from_microseconds(after_keys[0]), after_keys[1]) if after_keys else None
    rows = await entries_page(account_id, before=before, limit=size + 1)
    return connection(
        rows,
        [LedgerEntry.from_model(entry) for entry in rows[:size]],
        size,
        lambda entry: encode_cursor(CURSOR, microseconds(entry.created_at), entry.id),
        has_previous=before is not None,
    )
