"""Every GraphQL operation counted and timed, and its errors counted by code."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from pointsmall.metrics import ERRORS, LATENCY, OPERATIONS


def operation_label(name: str | None) -> str:
    """An operation's name as a label: bounded (clients pick names), anonymous if none."""
    cleaned = "".join(c for c in name or "" if c.isalnum() or c == "_")[:64]
    return cleaned or "anonymous"


class OperationMetrics(SchemaExtension):
    """Counts and times every operation, and its errors by code."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        name = operation_label(context.operation_name)
        kind = context.operation_type.value if context.operation_type else "unknown"
        OPERATIONS.labels(name, kind).inc()
        LATENCY.labels(name).observe(time.perf_counter() - started)
        result: Any = context.result
        for error in getattr(result, "errors", None) or ():
            code = (getattr(error, "extensions", None) or {}).get("code", "UNKNOWN")
            ERRORS.labels(str(code)).inc()
