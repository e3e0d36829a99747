"""Earning as clients see it: orders, tasks, check-ins, shares, leaderboards."""
