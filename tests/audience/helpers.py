"""Audiences through the API, as ops make them."""

from __future__ import annotations

from typing import Any

from tests.api import Api

CREATE_AUDIENCE = """mutation($input: CreateAudienceInput!) { createAudience(input: $input) {
  audience { id name rule } errors { code field message } } }"""
PREVIEW = """query($rule: AudienceRuleInput!) { audiencePreview(rule: $rule) {
  size sample { userId } } }"""


async def create_audience(api: Api, name: str, rule: dict[str, Any]) -> str:
    """The new audience's id."""
    payload = (await api.data(CREATE_AUDIENCE, api.admin(), input={"name": name, "rule": rule}))[
        "createAudience"
    ]
    assert payload["errors"] == [], payload["errors"]
    audience_id: str = payload["audience"]["id"]
    return audience_id
