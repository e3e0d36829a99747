"""OpenTelemetry traces, when asked for: a request's span, and its database's."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pointsmall.app import create_app
from pointsmall.runtime import Runtime
from pointsmall.tracing import start_tracing, stop_tracing, wanted
from tests.api import Api


def test_traces_are_on_only_when_the_otel_variables_ask() -> None:
    assert not wanted({})
    assert wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not wanted({"OTEL_TRACES_EXPORTER": "none"})
    assert not wanted({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"})


async def test_a_request_is_traced(api: Api, runtime: Runtime) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(runtime.settings, runtime)
    assert start_tracing(app, provider)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post(
                "/graphql",
                json={"query": "{ me { points { balance } } }"},
                headers={"authorization": f"Bearer {api.user('mei')}"},
            )
    finally:
        stop_tracing(app)
    assert response.status_code == 200
    names = [span.name for span in exporter.get_finished_spans()]
    assert any("/graphql" in name for name in names), names
