"""Business rules and transactions. Nothing here knows about GraphQL."""
