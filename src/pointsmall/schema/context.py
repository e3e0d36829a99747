"""The GraphQL context: who is calling, the request id, the loaders.

An HTTP request has one context. A websocket has one context for its whole life (strawberry
builds it at the handshake), but its loaders belong to one operation: a subscription starts
fresh ones for each event it sends (`start_event`) and lets them go once the event is sent
(`end_event`), so every event reports fresh data, no cache outlives it, and a socket
waiting for its next event holds no loaders (10,000 sockets wait at once).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from pointsmall import logs
from pointsmall.auth import AuthenticationError, Principal, Role, bearer_token
from pointsmall.dataloaders import Loaders
from pointsmall.domain.actors import Actor
from pointsmall.domain.ledger.accounts import zone_of
from pointsmall.domain.risk.checks import keyed_hash
from pointsmall.runtime import Runtime
from pointsmall.schema.errors import Unauthenticated

if TYPE_CHECKING:
    from pointsmall.models import Account as AccountModel

MAX_REQUEST_ID_LENGTH = 64


@dataclass
class _Event:
    """A subscription event being resolved; its loaders are made when first asked for."""

    loaders: Loaders | None = None


# The subscription event being resolved: each subscription runs in a task of its own, and
# the event's fields resolve in that task right after the event is yielded.
_event: ContextVar[_Event | None] = ContextVar("pointsmall_event", default=None)


@dataclass
class Context:
    runtime: Runtime
    request: Request | WebSocket | None
    authorization: str | None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    connection_params: dict[str, object] | None = None  # a websocket's connection_init payload
    viewer: AccountModel | None = None  # the calling user's account, once a resolver opened it
    http_response: Response | None = None  # status and headers of an HTTP answer
    # When the answer may change with no write (time passing): the response cache keeps
    # it no longer. None: nothing said.
    changes_at: datetime | None = None
    _request_loaders: Loaders | None = None
    _principal: Principal | None = None
    _checked: bool = False

    @classmethod
    def for_request(
        cls, runtime: Runtime, request: Request | WebSocket, response: object = None
    ) -> Context:
        given = request.headers.get("x-request-id", "")
        request_id = (
            given if 0 < len(given) <= MAX_REQUEST_ID_LENGTH and given.isprintable() else None
        )
        context = cls(
            runtime=runtime,
            request=request,
            authorization=request.headers.get("authorization"),
            http_response=response if isinstance(response, Response) else None,
        )
        if request_id:
            context.request_id = request_id
        logs.request_id.set(context.request_id)  # the lines this request logs say so
        return context

    @property
    def loaders(self) -> Loaders:
        """This operation's loaders: the request's, or the subscription event's."""
        event = _event.get()
        if event is not None:
            if event.loaders is None:
                event.loaders = Loaders.create(self.runtime)
            return event.loaders
        if self._request_loaders is None:
            self._request_loaders = Loaders.create(self.runtime)
        return self._request_loaders

    def changes_by(self, moment: datetime | None) -> None:
        """The answer may change at `moment` with no write (a resolver says why)."""
        if moment is not None and (self.changes_at is None or moment < self.changes_at):
            self.changes_at = moment

    def refuse_http(self, status: int, headers: dict[str, str]) -> None:
        """An HTTP request is refused: its status and headers say so too."""
        if self.http_response is not None:
            self.http_response.status_code = status
            self.http_response.headers.update(headers)

    def forget_loaded(self) -> None:
        """Something changed: what this operation loaded so far is loaded again if asked."""
        event = _event.get()
        if event is not None:
            event.loaders = None
        self._request_loaders = None

    def start_event(self) -> None:
        """A subscription is about to send an event: it gets loaders of its own (and what
        its setup loaded, on a websocket's context, is let go)."""
        self._request_loaders = None
        _event.set(_Event())

    def end_event(self) -> None:
        """The subscription waits (its setup done, or an event sent): it holds no loaders."""
        self._request_loaders = None
        _event.set(None)

    @property
    def principal(self) -> Principal | None:
        """The caller, or None when anonymous. A bad token is an error wherever it is read."""
        if not self._checked:
            try:
                token = bearer_token(self.authorization)
                self._principal = (
                    self.runtime.tokens.principal(token) if token is not None else None
                )
            except AuthenticationError as error:
                raise Unauthenticated(str(error)) from None
            self._checked = True
        return self._principal

    def has_role(self, role: Role) -> bool:
        """Whether the caller holds `role` (a bad token holds none)."""
        try:
            principal = self.principal
        except Unauthenticated:
            return False
        return principal is not None and principal.has(role)

    @property
    def schema_is_closed(self) -> bool:
        """Production hides the schema (introspection, suggestions) from all but admins."""
        return self.runtime.settings.production and not self.has_role(Role.ADMIN)

    @property
    def client_address(self) -> str | None:
        client = self.request.client if self.request is not None else None
        return client.host if client is not None else None

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

    @property
    def device(self) -> str | None:
        """The app's device (its `X-Device-Id` header, or `deviceId` in a websocket's
        connection_init), as the keyed hash risk rules compare: never the id itself."""
        given = self.request.headers.get("x-device-id") if self.request is not None else None
        if not given and self.connection_params:
            value = self.connection_params.get("deviceId")
            given = value if isinstance(value, str) else None
        return keyed_hash(given, self.runtime.rules.signal_key)

    @property
    def client(self) -> str | None:
        """The caller's network address, as the keyed hash risk rules compare (`ip:`...)."""
        peer = self.request.client if self.request is not None else None
        hashed = keyed_hash(peer.host, self.runtime.rules.signal_key) if peer else None
        return f"ip:{hashed}" if hashed else None

    def actor(self, role: str) -> Actor:
        principal = self.principal
        assert principal is not None
        return Actor(
            user_id=principal.user_id,
            role=role,
            request_id=self.request_id,
            device=self.device,
            client=self.client,
        )


Info = StrawberryInfo[Context, None]
