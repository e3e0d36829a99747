"""Risk control as ops see it."""
