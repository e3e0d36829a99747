"""Unexpected failures never leak: the client gets INTERNAL and a request id, nothing else;
and inputs at the edge of what Python or the database can hold are refused, not crashed on."""

from __future__ import annotations

import pytest

from pointsmall import access
from pointsmall.clock import MovableClock
from tests.api import Api
from tests.engagement.helpers import RECORD_EVENT, SET_RATE, UPSERT


async def test_an_unexpected_error_is_masked(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(info: object) -> None:
        raise RuntimeError('relation "account" does not exist: SELECT * FROM account')

    monkeypatch.setattr(access, "viewer_account", broken)
    response = await api.http.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"authorization": f"Bearer {api.user()}", "x-request-id": "req-42"},
    )
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-42"}
    assert "SELECT" not in response.text and "RuntimeError" not in response.text


@pytest.mark.parametrize(
    ("query", "variables", "path"),
    [
        (
            UPSERT,
            {"input": {"userId": "mei", "registeredAt": "9999-12-31T23:00:00-05:00"}},
            "upsertUser",
        ),
        (UPSERT, {"input": {"userId": "mei", "timezone": "A" * 300}}, "upsertUser"),
        (SET_RATE, {"input": {"category": "x", "ratePercent": 1e308}}, "setEarningRate"),
        (
            RECORD_EVENT,
            {
                "input": {
                    "eventId": "e",
                    "userId": "mei",
                    "type": "REVIEW",
                    "occurredAt": "2026-11-23T09:00:00Z",
                    "attributes": {"n": 2**70},
                }
            },
            "recordEvent",
        ),
    ],
)
async def test_extreme_inputs_are_refused_clearly(
    api: Api, clock: MovableClock, query: str, variables: dict[str, object], path: str
) -> None:
    token = api.admin() if path == "setEarningRate" else api.service()
    result = await api.post(query, token, **variables)
    assert "errors" not in result, result
    assert result["data"][path]["errors"][0]["code"] == "INVALID_VALUE"
