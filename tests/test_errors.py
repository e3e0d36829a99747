"""Unexpected failures never leak: the client gets INTERNAL and a request id, nothing else."""

from __future__ import annotations

import pytest

from pointsmall.resolvers import accounts
from tests.api import Api


async def test_an_unexpected_error_is_masked(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(info: object) -> None:
        raise RuntimeError('relation "account" does not exist: SELECT * FROM account')

    monkeypatch.setattr(accounts, "viewer_account", broken)
    response = await api.http.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"authorization": f"Bearer {api.user()}", "x-request-id": "req-42"},
    )
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-42"}
    assert "SELECT" not in response.text and "RuntimeError" not in response.text
