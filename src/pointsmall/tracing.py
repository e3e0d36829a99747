"""Optional OpenTelemetry traces: on when the standard `OTEL_*` variables ask for them
(`OTEL_TRACES_EXPORTER`, or an `OTEL_EXPORTER_OTLP_*ENDPOINT`; `OTEL_SERVICE_NAME` and
the rest as the SDK reads them), with the official instrumentations of Starlette, asyncpg
and redis. Needs `pip install 'pointsmall[otel]'`; without it, a warning and no traces.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("pointsmall.tracing")


def wanted(env: Mapping[str, str]) -> bool:
    exporter = env.get("OTEL_TRACES_EXPORTER", "")
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true" or exporter == "none":
        return False
    return bool(exporter or endpoint)


def start_tracing(app: Any, provider: Any = None) -> bool:
    """Trace the app's requests and its database and Redis calls; True when on. Tests give
    a `provider` of their own (an in-memory exporter)."""
    if provider is None and not wanted(os.environ):
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor
        from opentelemetry.instrumentation.starlette import StarletteInstrumentor
    except ImportError:
        log.warning("OTEL_* asks for traces: install pointsmall[otel] to send them")
        return False
    if provider is None:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider()  # its resource from OTEL_SERVICE_NAME and the rest
        provider.add_span_processor(BatchSpanProcessor(_exporter(os.environ)))
    trace.set_tracer_provider(provider)
    StarletteInstrumentor.instrument_app(app, tracer_provider=provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=provider)
    log.info("OpenTelemetry traces on")
    return True


def stop_tracing(app: Any) -> None:
    """Undo `start_tracing` (the instrumentations patch asyncpg and redis process-wide)."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    StarletteInstrumentor.uninstrument_app(app)
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    RedisInstrumentor().uninstrument()


def _exporter(env: Mapping[str, str]) -> Any:
    if env.get("OTEL_TRACES_EXPORTER") == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint and headers from OTEL_EXPORTER_OTLP_*
