"""A GraphQL client for tests, with tokens for each kind of caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from pointsmall.auth import Role, issue_token
from pointsmall.config import Settings


@dataclass
class Api:
    http: httpx.AsyncClient
    settings: Settings

    def token(
        self,
        user_id: str,
        *roles: Role,
        ttl: timedelta = timedelta(hours=1),
        nickname: str | None = None,
        timezone: str | None = None,
    ) -> str:
        return issue_token(
            self.settings,
            user_id,
            list(roles) or [Role.USER],
            ttl,
            nickname=nickname,
            timezone=timezone,
        )

    def user(self, user_id: str = "user-1", **claims: Any) -> str:
        return self.token(user_id, Role.USER, **claims)

    def admin(self, user_id: str = "ops-1") -> str:
        return self.token(user_id, Role.ADMIN)

    def service(self, user_id: str = "shop-backend") -> str:
        return self.token(user_id, Role.SERVICE)

    async def post(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """The whole GraphQL response, errors included."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        """The data of a response that must have no GraphQL errors."""
        body = await self.post(query, token, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error_code(self, query: str, token: str | None = None, **variables: Any) -> str:
        """The `extensions.code` of the first error of a response that must have one."""
        body = await self.post(query, token, **variables)
        assert body.get("errors"), f"expected an error, got {body}"
        code: str = body["errors"][0]["extensions"]["code"]
        return code
