"""What the service tells its operators' monitoring: Prometheus metrics, served at
`/metrics` (`app.py`), counted where things happen (the ledger, the jobs, the GraphQL
extension `schema.metrics`, the subscriptions).

`/metrics` is not public: it answers only with `Authorization: Bearer <METRICS_TOKEN>`,
and is off (404) without a token. Each worker counts its own; with several workers, set
`PROMETHEUS_MULTIPROC_DIR` to a directory the workers share (emptied at each start) and
any of them answers for all (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

OPERATIONS = Counter(
    "pointsmall_graphql_operations_total",
    "GraphQL operations executed, by name and type",
    ["operation", "type"],
)
LATENCY = Histogram(
    "pointsmall_graphql_operation_seconds",
    "GraphQL operation latency, by name",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter("pointsmall_graphql_errors_total", "GraphQL errors, by code", ["code"])
LEDGER = Counter("pointsmall_ledger_entries_total", "Ledger entries written, by kind", ["kind"])
POINTS = Counter(
    "pointsmall_points_total", "Points moved, by direction (issued, redeemed)", ["direction"]
)
SOCKETS = Gauge(
    "pointsmall_websockets_open", "Open GraphQL websockets", multiprocess_mode="livesum"
)
SUBSCRIPTIONS = Gauge(
    "pointsmall_subscriptions_active",
    "Subscriptions waiting for events",
    multiprocess_mode="livesum",
)
FANOUT_LAG = Histogram(
    "pointsmall_notification_lag_seconds",
    "From a notification's commit to its delivery on a socket",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOB_RUNS = Counter(
    "pointsmall_job_runs_total", "Scheduled job runs, by job and outcome", ["job", "outcome"]
)
JOB_SECONDS = Histogram(
    "pointsmall_job_seconds",
    "Scheduled job durations",
    ["job"],
    buckets=(0.01, 0.1, 1, 10, 60, 600),
)
POOL = Gauge(
    "pointsmall_pool_connections",
    "Connection pools, by pool (database, redis) and state (in use, idle)",
    ["pool", "state"],
    multiprocess_mode="livesum",
)


def registry() -> CollectorRegistry:
    """The registry to expose: this process's, or every worker's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        return shared
    from prometheus_client import REGISTRY

    return REGISTRY
