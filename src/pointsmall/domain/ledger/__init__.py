"""The points ledger: accounts, lots, entries, holds, corrections, expiry, the audit."""
