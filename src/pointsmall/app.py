"""The Starlette application: /graphql (HTTP, websocket, GraphiQL), /healthz, /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from cross_web import HTTPException
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult
from tortoise.connection import get_connection

from pointsmall import clock, console
from pointsmall.auth import AuthenticationError, Role, bearer_token
from pointsmall.config import Settings
from pointsmall.domain.risk import checks as risk_checks
from pointsmall.graphiql import STATIC, graphiql_page
from pointsmall.jobs.audience import rfm_restatement, segment_restatement, tier_review
from pointsmall.jobs.campaigns import campaign_clock
from pointsmall.jobs.expiry import EXPIRY_SWEEP
from pointsmall.jobs.figures import ROLLUPS
from pointsmall.jobs.mall import gate_check
from pointsmall.jobs.notifications import MATURED_POINTS, expiry_warnings
from pointsmall.jobs.redemptions import payment_lapse
from pointsmall.jobs.risk import signal_retention
from pointsmall.jobs.scheduler import Job, running
from pointsmall.logs import configure_logging
from pointsmall.metrics import LATENCY, OPERATIONS, POOL, SOCKETS, SUBSCRIPTIONS
from pointsmall.metrics import registry as metric_registry
from pointsmall.rate_limits import costs_of, draws_for
from pointsmall.response_cache import Question
from pointsmall.runtime import Runtime, open_runtime
from pointsmall.schema.context import Context
from pointsmall.schema.errors import Unauthenticated, with_codes
from pointsmall.schema.metrics import operation_label
from pointsmall.schema.schema import schema
from pointsmall.serving import BodyLimit, settle_collector
from pointsmall.subscriptions.protocols import (
    GuardedGraphQLWSHandler,
    StandingGraphQLTransportWSHandler,
)
from pointsmall.tracing import start_tracing

log = logging.getLogger("pointsmall")
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20


TOKEN_EXPIRED = 4401  # graphql-transport-ws: Unauthorized


_closing: set[asyncio.Task[None]] = set()  # closes under way (the loop keeps weak refs)


def close_when_expired(websocket: WebSocket, expires_at: datetime) -> asyncio.TimerHandle:
    """A socket lives no longer than the token it was opened with. A timer, not a task
    sleeping until then: a waiting socket should cost little (10,000 wait at once)."""

    def close() -> None:
        task = asyncio.ensure_future(_close_expired(websocket))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    delay = max(0.0, (expires_at - datetime.now(UTC)).total_seconds())
    return asyncio.get_running_loop().call_later(delay, close)


async def _close_expired(websocket: WebSocket) -> None:
    with contextlib.suppress(RuntimeError, OSError):
        await websocket.close(code=TOKEN_EXPIRED, reason="token expired: reconnect with a new one")


class GraphQLEndpoint(GraphQL[Context, None]):
    graphql_ws_handler_class = GuardedGraphQLWSHandler
    graphql_transport_ws_handler_class = StandingGraphQLTransportWSHandler

    def __init__(self, graphiql: bool, init_timeout: timedelta) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            keep_alive=True,
            keep_alive_interval=15,
            connection_init_wait_timeout=init_timeout,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        )
        self._expiry_timers: dict[int, asyncio.TimerHandle] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = await self._answer(Request(scope, receive=receive))
            await response(scope, receive, send)
            return
        SOCKETS.inc()
        try:
            await super().__call__(scope, receive, send)
        finally:  # the connection is over: so is its expiry timer
            SOCKETS.dec()
            timer = self._expiry_timers.pop(id(scope), None)
            if timer is not None:
                timer.cancel()

    async def _answer(self, request: Request) -> Response:
        """The response to an HTTP request: from the response cache when it may answer
        (see `pointsmall.response_cache`), else executed."""
        runtime: Runtime = request.app.state.runtime
        question = await self._question(runtime, request)
        if question is None:
            return await self._execute(request)
        assert runtime.responses is not None
        started = time.perf_counter()
        remembered = await runtime.responses.answer(question)
        if remembered is not None and await self._within_limits(runtime, request, question):
            # Counted as the operation it answers (its latency: the cache's).
            name = operation_label(question.operation)
            OPERATIONS.labels(name, "query").inc()
            LATENCY.labels(name).observe(time.perf_counter() - started)
            return Response(remembered, media_type="application/json")
        versions = await runtime.responses.versions(question)
        response = await self._execute(request)
        context: Context | None = getattr(request.state, "context", None)
        if context is not None and getattr(request.state, "clean", False):
            account_id = context.viewer.id if context.viewer is not None else None
            runtime.responses.remember(
                question, account_id, versions, bytes(response.body), context.changes_at
            )
        return response

    async def _question(self, runtime: Runtime, request: Request) -> Question | None:
        if runtime.responses is None or request.method != "POST":
            return None
        try:
            token = bearer_token(request.headers.get("authorization"))
            principal = runtime.tokens.principal(token) if token is not None else None
        except AuthenticationError:
            return None  # executed: the error is the answer
        body = await request.body()  # kept by the request for strawberry to read again
        return runtime.responses.question(principal, body)

    async def _within_limits(self, runtime: Runtime, request: Request, question: Question) -> bool:
        """Draw a cached answer's tokens as its execution would (when refused, the request
        is executed, and refused there with the usual answer)."""
        limits = runtime.rate_limiter.limits
        if limits is None:
            return True
        address = request.client.host if request.client is not None else None
        costs = costs_of("query", list(question.fields))
        draws = draws_for(limits, question.principal, address, costs)
        return not await runtime.rate_limiter.take(draws)

    async def _execute(self, request: Request) -> Response:
        """A request strawberry refuses before executing it (no query, bad JSON, an unknown
        operation name) gets a GraphQL error body, as clients such as GraphiQL expect,
        rather than plain text."""
        try:
            response: Response = await self.run(request)
        except HTTPException as error:
            return JSONResponse(
                {"errors": [{"message": error.reason, "extensions": {"code": "BAD_USER_INPUT"}}]},
                status_code=error.status_code,
            )
        return response

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """Our GraphiQL page: its assets come from this app, never from a CDN."""
        return HTMLResponse(graphiql_page())

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        runtime: Runtime = request.app.state.runtime
        context = Context.for_request(runtime, request, response)
        request.state.context = context
        return context

    async def process_result(
        self, request: Request | WebSocket, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = process_result(result)
        if "errors" in response:
            with_codes(response["errors"])  # type: ignore[arg-type]
        else:
            request.state.clean = True  # an answer the response cache may keep
        return response

    async def on_ws_connect(self, context: Context) -> None:
        """Authenticate a websocket at `connection_init`: {"authorization": "Bearer <JWT>"}."""
        params = context.connection_params or {}
        authorization = params.get("authorization") or params.get("Authorization")
        if not isinstance(authorization, str):
            raise ConnectionRejectionError(
                {
                    "code": "UNAUTHENTICATED",
                    "message": 'connection_init needs {"authorization": "Bearer <token>"}',
                }
            )
        try:
            principal = context.authenticate(authorization)
        except Unauthenticated as error:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": error.message}
            ) from None
        if principal is not None and principal.has(Role.USER):
            await risk_checks.after_session(context.actor(Role.USER), clock.now())
        websocket = context.request
        if principal is not None and principal.expires_at and isinstance(websocket, WebSocket):
            self._expiry_timers[id(websocket.scope)] = close_when_expired(
                websocket, principal.expires_at
            )

    def encode_json(self, data: object) -> str:
        """JSON as text: websocket messages must be text frames (a browser hands a binary
        frame over as a Blob, which graphql-ws and Apollo clients cannot read)."""
        return orjson.dumps(data).decode()


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready to serve: the database answers. Without Redis the service still works (the
    database decides alone, live updates wait), so Redis away is "degraded", not a reason
    for a load balancer to take every worker out."""
    runtime: Runtime = request.app.state.runtime
    checks: dict[str, str] = {}
    try:
        await get_connection("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        log.warning("readiness: database unreachable: %s", type(error).__name__)
        checks["database"] = "unreachable"
    try:
        await runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as error:
        log.warning("readiness: redis unreachable: %s", type(error).__name__)
        checks["redis"] = "unreachable"
    if checks["database"] != "ok":
        return JSONResponse({"status": "unavailable", **checks}, status_code=503)
    status = "ready" if checks["redis"] == "ok" else "degraded"
    return JSONResponse({"status": status, **checks})


async def metrics(request: Request) -> Response:
    """Prometheus metrics, for the monitoring that holds `METRICS_TOKEN` (404 otherwise:
    off without a token, and nothing to tell a stranger)."""
    runtime: Runtime = request.app.state.runtime
    token = runtime.settings.metrics_token
    given = request.headers.get("authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response(status_code=404)
    gauge_pools(runtime)
    return Response(generate_latest(metric_registry()), media_type=CONTENT_TYPE_LATEST)


def gauge_pools(runtime: Runtime) -> None:
    """The pools' and subscriptions' state, read as the scrape asks."""
    SUBSCRIPTIONS.set(runtime.broker.subscribers)
    pool = getattr(get_connection("default"), "_pool", None)
    if pool is not None:
        idle = pool.get_idle_size()
        POOL.labels("database", "in_use").set(pool.get_size() - idle)
        POOL.labels("database", "idle").set(idle)
    redis_pool = getattr(runtime.redis, "connection_pool", None)
    in_use = getattr(redis_pool, "_in_use_connections", None)
    if in_use is not None:
        POOL.labels("redis", "in_use").set(len(in_use))


def scheduled_jobs(runtime: Runtime) -> list[Job]:
    thresholds = runtime.settings.expiry_warning_days
    return [
        EXPIRY_SWEEP,
        payment_lapse(runtime.rules),
        expiry_warnings(runtime.rules, thresholds),
        MATURED_POINTS,
        gate_check(runtime.gate),
        segment_restatement(runtime),
        rfm_restatement(),
        tier_review(runtime),
        campaign_clock(runtime),
        ROLLUPS,
        signal_retention(runtime.settings.risk_signal_days),
    ]


def create_app(settings: Settings, runtime: Runtime | None = None) -> Starlette:
    """The app. Given a `runtime` (tests), it uses it; otherwise the lifespan opens one."""
    settings.check_can_serve()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        async with (
            open_runtime(settings) as opened,
            running(opened.redis, opened.guard, scheduled_jobs(opened)),
        ):
            app.state.runtime = opened
            settle_collector()
            yield

    graphql = GraphQLEndpoint(
        graphiql=settings.graphiql,
        init_timeout=timedelta(seconds=settings.websocket_init_timeout_seconds),
    )
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            *(console.routes() if settings.ops_console else []),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit)
    start_tracing(app)  # only when OTEL_* asks for it
    if runtime is not None:
        app.state.runtime = runtime
    return app


def app_from_environment() -> Starlette:
    """The factory `pointsmall serve` hands to uvicorn (one call per worker process)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
