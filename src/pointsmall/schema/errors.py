"""Errors as clients see them.

Business failures are payload `errors: [UserError!]!` with a stable `ErrorCode`; problems
with the request itself are GraphQL errors with `extensions.code` (`UNAUTHENTICATED`,
`FORBIDDEN`, `BAD_USER_INPUT`, `NOT_FOUND`, `INTERNAL`). Anything else is
masked: the client gets `INTERNAL` and the request id, the log gets the traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

import asyncpg
import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.execution import StreamExecutionResult
from tortoise.exceptions import DBConnectionError

from pointsmall.domain import errors as domain

log = logging.getLogger("pointsmall.graphql")

ErrorCode = domain.ErrorCode
strawberry.enum(ErrorCode, description="Why a mutation or quote said no.")


@strawberry.type(description="A business rule or input check that refused the request.")
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "amount"].'
    )


def user_error(error: domain.DomainError) -> UserError:
    return UserError(
        code=error.code,
        message=error.message,
        field=["input", error.field] if error.field else None,
    )


class ApiError(Exception):
    """A request-level error with an `extensions.code`; shown to the client as is."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, object] = {"code": self.code}


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"


class NotFoundError(ApiError):
    code = "NOT_FOUND"


class Unavailable(ApiError):
    """A part of the service is away for a moment (Redis, the database): try again."""

    code = "UNAVAILABLE"


# A query or mutation sent over the legacy websocket protocol, which carries subscriptions
# only: a problem of the request.
EXPECTED = (ApiError, GraphQLError, domain.DomainError, InvalidOperationTypeError)
SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, EXPECTED)


class ErrorPolicy(MaskErrors):
    """Mask unexpected errors: the client sees `INTERNAL` and the request id, the log the
    traceback."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Internal server error")

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        self._label(getattr(self.execution_context.result, "errors", None) or ())

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """A websocket's results, one by one: masked, then labelled the same way."""
        self._process_stream_result(result)
        self._label(getattr(result, "errors", None) or ())
        self._stream_result_processed = True
        yield None

    def _label(self, errors: Iterable[GraphQLError]) -> None:
        label(errors, closed=getattr(self.execution_context.context, "schema_is_closed", False))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return anonymised(error, getattr(self.execution_context.context, "request_id", None))


def shown(errors: Iterable[GraphQLError], context: object) -> list[GraphQLError]:
    """Errors as `ErrorPolicy` shows them, for results executed without extensions (a
    waiting subscription's deliveries)."""
    request_id = getattr(context, "request_id", None)
    errors = [anonymised(error, request_id) if _is_unexpected(error) else error for error in errors]
    label(errors, closed=getattr(context, "schema_is_closed", False))
    return errors


def label(errors: Iterable[GraphQLError], *, closed: bool) -> None:
    """Give every error its `extensions.code`; in production, no names to strangers."""
    for error in errors:
        refusal = error.original_error
        if isinstance(refusal, domain.DomainError):
            # A business refusal outside a payload (a query's argument) is a request problem.
            code = "NOT_FOUND" if isinstance(refusal, domain.NotFound) else "BAD_USER_INPUT"
            error.extensions = {"code": code}
        elif not (error.extensions or {}).get("code"):
            # Parsing, validation, limits, variables: problems of the request.
            error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        if closed:
            error.message = SUGGESTION.sub("", error.message)


def anonymised(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """An unexpected error as the client sees it: `INTERNAL` (or `UNAVAILABLE` when the
    database went away) and the request id; the log gets the traceback."""
    where = ".".join(str(part) for part in error.path or ()) or "operation"
    if connection_lost(error.original_error):
        # The database went away mid-request (a failover, a killed connection): nothing
        # was half-written, and a retry with the same idempotency key is safe.
        log.warning("database connection lost in %s (request %s)", where, request_id)
        masked = GraphQLError(
            "the database is unavailable for a moment: retry (with the same idempotency key)",
            nodes=error.nodes,
            path=error.path,
        )
        masked.extensions = {"code": "UNAVAILABLE", "requestId": request_id}
        return masked
    log.error(
        "unexpected error in %s (request %s)", where, request_id, exc_info=error.original_error
    )
    masked = GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
    )
    masked.extensions = {"code": "INTERNAL", "requestId": request_id}
    return masked


CONNECTION_LOST = (
    ConnectionError,
    DBConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    # What asyncpg says of a pooled connection that the database killed while it was idle.
    asyncpg.exceptions.InternalClientError,
)


def connection_lost(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is a lost database connection."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, CONNECTION_LOST) or (
            isinstance(error, asyncpg.exceptions.InterfaceError)
            and "connection is closed" in str(error)
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def with_codes(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every formatted error an `extensions.code`.

    Errors without one come from parsing, validation, the query limits or variable
    coercion: all problems of the request, hence `BAD_USER_INPUT`.
    """
    for error in errors:
        extensions = error.setdefault("extensions", {})
        extensions.setdefault("code", "BAD_USER_INPUT")
    return errors
