"""Risk control: cases, rules, bans (admin)."""
