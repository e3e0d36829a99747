"""Root fields of the ledger."""
