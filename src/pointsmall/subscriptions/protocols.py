"""The websocket protocols' handlers: strawberry's, changed where noted.

`graphql-transport-ws`: a subscription waits between events with no task and no live
execution (`StandingGraphQLTransportWSHandler`).

The legacy `graphql-ws`: strawberry's handler waits forever for `connection_init`, and
starts one more keep-alive task on each repeated `connection_init` (none of them stopped
before the socket closes). Here, as in the modern protocol, a socket that has not sent
`connection_init` within the timeout is closed (4408), and a second `connection_init`
closes it (4429).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, parse, subscribe
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage as TransportConnectionInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage
from strawberry.utils.aio import aclosing
from strawberry.utils.await_maybe import await_maybe

from pointsmall.schema.errors import shown
from pointsmall.schema.limits import CACHED_DOCUMENTS
from pointsmall.subscriptions.broker import Broker, Mailbox
from pointsmall.subscriptions.feeds import Delivery, Feed, Standing

INIT_TIMEOUT = 4408
TOO_MANY_INITS = 4429


class GuardedGraphQLWSHandler(BaseGraphQLWSHandler[Any, None]):
    _initialised = False

    async def handle(self) -> None:
        deadline = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
        finally:
            deadline.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await deadline

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self._initialised:
            await self.websocket.close(
                code=INIT_TIMEOUT, reason="Connection initialisation timeout"
            )

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if self._initialised:
            await self.websocket.close(
                code=TOO_MANY_INITS, reason="Too many initialisation requests"
            )
            return
        self._initialised = True
        await super().handle_connection_init(message)


class StandingGraphQLTransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """`graphql-transport-ws` where a subscription waits between events with no task and
    no live execution (see `subscriptions.feeds`): its operation runs until the feed's
    start is sent, then the feed waits in a `Waiting`, and each batch of messages is
    resolved by running the operation again with them (`Delivery`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: dict[str, Waiting] = {}

    async def handle_connection_init(self, message: TransportConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_init_received and self.connection_init_timeout_task is not None:
            # Cancelled by now: let it go (strawberry keeps it, and with it the traceback
            # of its cancellation, some 2 KiB, for the socket's life).
            self.connection_init_timeout_task = None

    async def run_operation(self, operation: Operation[Any, None]) -> None:
        """strawberry's, with a `Standing` root value, and no `complete` for an operation
        whose feed now waits."""
        standing = Standing()
        try:
            source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self.context,
                root_value=standing,
                operation_name=operation.operation_name,
            )
            async with aclosing(source):
                await self._send_result_stream(operation, source)
            if standing.feed is not None and standing.mailbox is not None:
                if operation.completed:  # an error ended it: nothing to wait for
                    self.context.runtime.broker.forget(standing.feed.channel, standing.mailbox)
                else:
                    self._waiting[operation.id] = Waiting(
                        self, operation, standing.feed, standing.mailbox
                    )
                    operation.task = None  # done: the operation waits with no task
                    return
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    async def deliver(self, waiting: Waiting, messages: list[str]) -> bool:
        """Resolve and send what these messages mean to a waiting subscription; False
        when an error ended it.

        Executed by graphql-core alone: the document was parsed, validated, limited and
        its rate drawn when the subscription started. Through strawberry's extensions
        too, a burst of 10,000 events took 4.3 s of the server's CPU against 2.9 s
        (bench/notifications.py --sockets 10000)."""
        operation = waiting.operation
        stream: AsyncIterator[GraphQLExecutionResult] | GraphQLExecutionResult = await await_maybe(
            subscribe(
                self.schema._schema,  # type: ignore[attr-defined]
                document_of(operation.query),
                root_value=Delivery(waiting.feed, messages),
                context_value=self.context,
                variable_values=operation.variables,
                operation_name=operation.operation_name,
                executor_class=self.schema.execution_context_class,  # type: ignore[attr-defined]
            )
        )
        if isinstance(stream, GraphQLExecutionResult):
            return await self._end_with(operation, stream)
        try:
            async with aclosing(stream):
                async for result in stream:
                    if result.errors:  # as a live execution would: the error, then the end
                        return await self._end_with(operation, result)
                    await operation.send_next(result)  # type: ignore[arg-type]  # the same fields
        except Exception as error:  # raised by the feed: graphql-core lets it through
            failed = GraphQLError(str(error), original_error=error)
            return await self._end_with(operation, GraphQLExecutionResult(None, [failed]))
        return True

    async def _end_with(
        self, operation: Operation[Any, None], result: GraphQLExecutionResult
    ) -> bool:
        result.errors = shown(result.errors or (), self.context)
        self._stop_waiting(operation.id)
        await operation.send_next(result)  # type: ignore[arg-type]  # the same fields
        await operation.send_operation_message({"id": operation.id, "type": "complete"})
        return False

    async def cleanup_operation(self, operation_id: str) -> None:
        self._stop_waiting(operation_id)
        operation = self.operations.get(operation_id)
        if operation is not None and operation.task is None:
            del self.operations[operation_id]
            return
        await super().cleanup_operation(operation_id)

    def _stop_waiting(self, operation_id: str) -> None:
        waiting = self._waiting.pop(operation_id, None)
        if waiting is not None:
            waiting.stop(self.context.runtime.broker)


class Waiting:
    """A subscription between events: its feed, its mailbox, and while messages are being
    delivered, the task delivering them (one per burst, not per message)."""

    __slots__ = ("delivering", "feed", "handler", "mailbox", "operation")

    def __init__(
        self,
        handler: StandingGraphQLTransportWSHandler,
        operation: Operation[Any, None],
        feed: Feed[Any],
        mailbox: Mailbox,
    ) -> None:
        self.handler = handler
        self.operation = operation
        self.feed = feed
        self.mailbox = mailbox
        self.delivering: asyncio.Task[None] | None = None
        mailbox.wake = self.wake
        if mailbox.has_messages:  # arrived while the start was sent
            self.wake()

    def wake(self) -> None:
        if self.delivering is None:
            self.delivering = asyncio.create_task(self._deliver())

    async def _deliver(self) -> None:
        try:
            while messages := self.mailbox.take_all():
                if not await self.handler.deliver(self, messages):
                    return
        except Exception as error:  # the socket went away mid-send, the database...
            await self.handler.handle_task_exception(error)
        finally:
            self.delivering = None

    def stop(self, broker: Broker) -> None:
        broker.forget(self.feed.channel, self.mailbox)
        self.mailbox.wake = None
        if self.delivering is not None and self.delivering is not asyncio.current_task():
            self.delivering.cancel()


@lru_cache(maxsize=CACHED_DOCUMENTS)
def document_of(query: str) -> DocumentNode:
    """A waiting subscription's document, parsed once for every subscription sending the
    same text (it parsed and validated when it started)."""
    return parse(query)
