"""GraphQL types of who the users are."""
