"""tortoise's asyncpg backend, with the fixes described in `pointsmall.backends`, and a
lighter release.

asyncpg resets a connection given back to its pool with a query of four statements
(`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`): one more round trip
after every statement outside a transaction and after every transaction, some 60 µs of
CPU here and more in PostgreSQL. We keep no session state (no advisory lock, cursor,
LISTEN or SET: Redis does our locks and notifications), so the pool only does what
asyncpg always does on release: roll back a transaction left open.

Besides BEGIN, releasing a connection that the database killed can fail (asyncpg cannot
reset it; it terminates it, which frees its slot in the pool, and re-raises). tortoise then
skips resetting the task's connection, and the task's next statements run on a released
connection. Here a failed release changes nothing: what the operation did or did not
commit stands, and the task's connection is reset whatever happens.
"""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import PoolConnectionWrapper, TransactionContextPooled
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

RELEASE_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


async def release(pool: Any, connection: Any) -> None:
    """Give a connection back; one that died is terminated by asyncpg, its slot freed."""
    with contextlib.suppress(*RELEASE_FAILURES):
        await pool.release(connection)


class FailSafeTransactionContext(TransactionContextPooled):
    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(self.token)
            await release(pool, self.client._connection)
            raise
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            if not self.client._finalized:
                if exc_type is None:
                    await self.client.commit()
                elif exc_type is not TransactionManagementError:
                    await self.client.rollback()
        finally:
            try:
                if self.client._parent._pool:
                    await release(self.client._parent._pool, self.client._connection)
            finally:
                get_connections().reset(self.token)


class FailSafePoolConnection(PoolConnectionWrapper[Any]):
    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        await release(self.client._pool, self.connection)


async def keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset: nothing beyond asyncpg's own rollback of an open transaction."""


class Client(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(None, reset=keep_session, **kwargs)

    def _in_transaction(self) -> FailSafeTransactionContext:
        return FailSafeTransactionContext(TransactionWrapper(self), self._pool_init_lock)

    def acquire_connection(self) -> FailSafePoolConnection:
        return FailSafePoolConnection(self, self._pool_init_lock)


client_class = Client
