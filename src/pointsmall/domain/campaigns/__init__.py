"""Campaigns: activities with a life, an audience, mechanics, a budget, prizes and tests."""
