"""Earning: orders and refunds, app events, tasks, check-ins, shares, leaderboards."""
