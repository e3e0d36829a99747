"""Campaigns: admin fields and mutations, joining, the user's campaigns."""
