"""The per-request GraphQL context: who is calling, the request id, the loaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from pointsmall.auth import AuthenticationError, Principal, bearer_token, decode_token
from pointsmall.dataloaders import Loaders
from pointsmall.domain.accounts import zone_of
from pointsmall.domain.actors import Actor
from pointsmall.models import Account as AccountModel
from pointsmall.runtime import Runtime
from pointsmall.schema.errors import Unauthenticated

MAX_REQUEST_ID_LENGTH = 64


@dataclass
class Context:
    runtime: Runtime
    request: Request | WebSocket | None
    authorization: str | None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    loaders: Loaders = field(default_factory=Loaders)
    connection_params: dict[str, object] | None = None  # a websocket's connection_init payload
    viewer: AccountModel | None = None  # the calling user's account, once a resolver opened it
    _principal: Principal | None = None
    _checked: bool = False

    @classmethod
    def for_request(cls, runtime: Runtime, request: Request | WebSocket) -> Context:
        given = request.headers.get("x-request-id", "")
        request_id = (
            given if 0 < len(given) <= MAX_REQUEST_ID_LENGTH and given.isprintable() else None
        )
        context = cls(
            runtime=runtime, request=request, authorization=request.headers.get("authorization")
        )
        if request_id:
            context.request_id = request_id
        return context

    @property
    def principal(self) -> Principal | None:
        """The caller, or None when anonymous. A bad token is an error wherever it is read."""
        if not self._checked:
            try:
                token = bearer_token(self.authorization)
                self._principal = (
                    decode_token(self.runtime.settings, token) if token is not None else None
                )
            except AuthenticationError as error:
                raise Unauthenticated(str(error)) from None
            self._checked = True
        return self._principal

    def authenticate(self, authorization: str | None) -> Principal | None:
        """Use these credentials from now on (a websocket's `connection_init`)."""
        self.authorization = authorization
        self._principal, self._checked = None, False
        return self.principal

    @property
    def viewer_zone(self) -> ZoneInfo:
        """The time zone of the calling user's local days (the programme's by default)."""
        default = self.runtime.settings.zone
        return zone_of(self.viewer, default) if self.viewer else default

    def actor(self, role: str) -> Actor:
        principal = self.principal
        assert principal is not None
        return Actor(user_id=principal.user_id, role=role, request_id=self.request_id)


Info = StrawberryInfo[Context, None]
