"""`/metrics`: not public, and its counters move as the service works."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from pointsmall.response_cache import Question
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.mall.helpers import grant

TOKEN = "scrape-token-for-tests"


def sample(text: str, name: str, **labels: str) -> float:
    """A sample's value in the exposition (0 if absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}{{{re.escape(wanted)}}} (\S+)$" if labels else rf"^{name} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def scrape(api: Api) -> str:
    response = await api.http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_are_for_the_monitoring_alone(api: Api, runtime: Runtime) -> None:
    assert (await api.http.get("/metrics")).status_code == 404  # off: no token set
    runtime.settings = replace(runtime.settings, metrics_token=TOKEN)
    assert (await api.http.get("/metrics")).status_code == 404
    wrong = await api.http.get("/metrics", headers={"authorization": "Bearer guess"})
    assert wrong.status_code == 404


async def test_the_counters_move_under_a_small_load(api: Api, runtime: Runtime) -> None:
    runtime.settings = replace(runtime.settings, metrics_token=TOKEN)
    before = await scrape(api)
    for number in range(5):
        await grant(api, f"u{number}", 100)
        await api.data("query MyPoints { me { points { balance } } }", api.user(f"u{number}"))
    await api.post("query Forbidden { tasks { id } }", api.user("u0"))  # FORBIDDEN
    after = await scrape(api)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("pointsmall_graphql_operations_total", operation="MyPoints", type="query") == 5
    assert moved("pointsmall_graphql_operation_seconds_count", operation="MyPoints") == 5
    assert (
        moved("pointsmall_graphql_operation_seconds_bucket", operation="MyPoints", le="+Inf") == 5
    )
    assert moved("pointsmall_graphql_errors_total", code="FORBIDDEN") == 1
    assert moved("pointsmall_ledger_entries_total", kind="EARN") == 5
    assert moved("pointsmall_points_total", direction="issued") == 500
    assert "pointsmall_subscriptions_active" in after


async def test_answers_from_the_response_cache_are_counted_too(
    api: Api, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.settings = replace(runtime.settings, metrics_token=TOKEN)
    assert runtime.responses is not None
    cached = runtime.responses.answer
    hits: list[bool] = []

    async def answer(question: Question) -> bytes | None:
        found = await cached(question)
        hits.append(found is not None)
        return found

    monkeypatch.setattr(runtime.responses, "answer", answer)
    await grant(api, "mei", 100)
    before = await scrape(api)
    for _ in range(4):  # the first ones executed (the cache learns), then answered from it
        await api.data("query Again { me { points { balance } } }", api.user("mei"))
    after = await scrape(api)
    counted = sample(after, "pointsmall_graphql_operations_total", operation="Again", type="query")
    assert (
        counted
        - sample(before, "pointsmall_graphql_operations_total", operation="Again", type="query")
        == 4
    )
    assert hits[-1] and hits.count(True) >= 2  # answers that never reached GraphQL, counted
