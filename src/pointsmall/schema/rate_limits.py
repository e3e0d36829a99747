"""The rate limits (`pointsmall.rate_limits`) as clients meet them: an empty bucket refuses
with `RATE_LIMITED` and `extensions.retryAfter` (whole seconds; over HTTP also status 429
and a `Retry-After` header)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import FieldNode, get_operation_ast
from strawberry.extensions import SchemaExtension

from pointsmall.rate_limits import RateLimiter, costs_of, draws_for
from pointsmall.schema.errors import ApiError, Unauthenticated


class RateLimited(ApiError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests: try again in {retry_after} s")
        self.extensions = {"code": self.code, "retryAfter": retry_after}
        self.retry_after = retry_after


class RateLimiting(SchemaExtension):
    """Draw an operation's tokens before it executes."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        limiter: RateLimiter = context.runtime.rate_limiter
        document = execution.graphql_document
        operation = (
            get_operation_ast(document, execution.operation_name) if document is not None else None
        )
        if limiter.limits is not None and operation is not None:
            fields = [
                selection.name.value
                for selection in operation.selection_set.selections
                if isinstance(selection, FieldNode)
            ]
            try:
                principal = context.principal
            except Unauthenticated:
                principal = None  # the fields will say so; the address is limited anyway
            draws = draws_for(
                limiter.limits,
                principal,
                context.client_address,
                costs_of(operation.operation.value, fields or ["fragment"]),
            )
            retry_after = await limiter.take(draws)
            if retry_after:
                context.refuse_http(429, {"Retry-After": str(retry_after)})
                raise RateLimited(retry_after)
        yield
