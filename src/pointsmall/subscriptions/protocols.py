"""The legacy `graphql-ws` protocol with the guards `graphql-transport-ws` already has.

strawberry's legacy handler waits forever for `connection_init`, and starts one more
keep-alive task on each repeated `connection_init` (none of them stopped before the socket
closes). Here, as in the modern protocol, a socket that has not sent `connection_init`
within the timeout is closed (4408), and a second `connection_init` closes it (4429).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage

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
