"""Tortoise models, one module per domain. The app label is `pointsmall`."""

from pointsmall.models.accounts import Account
from pointsmall.models.ledger import (
    Allocation,
    Counterparty,
    Entry,
    EntryKind,
    Hold,
    HoldStatus,
    Lot,
)

__all__ = [
    "Account",
    "Allocation",
    "Counterparty",
    "Entry",
    "EntryKind",
    "Hold",
    "HoldStatus",
    "Lot",
]
