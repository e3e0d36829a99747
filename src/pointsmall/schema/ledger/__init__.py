"""The ledger as clients see it: accounts, their points, their history."""
