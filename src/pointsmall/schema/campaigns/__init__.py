"""Campaigns as clients see them."""
