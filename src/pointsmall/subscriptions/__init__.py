"""Live updates: the broker between processes and the events the domain emits."""
