"""Resolvers of who the users are."""
