"""programMetrics (admin)."""
