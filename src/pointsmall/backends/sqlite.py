"""tortoise's SQLite backend, with the fix described in `pointsmall.backends`.

The half-open BEGIN a cancelled task leaves is harmless: the next transaction commits
before it begins.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections


class FailSafeTransactionContext(SqliteTransactionContext):
    async def __aenter__(self) -> Any:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


class Client(SqliteClient):
    def _in_transaction(self) -> FailSafeTransactionContext:
        return FailSafeTransactionContext(SqliteTransactionWrapper(self), self._lock)


client_class = Client
