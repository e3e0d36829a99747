"""Logging for the server and the commands: one format, and no request's values in the log.

At DEBUG the database drivers log every statement with its values, shipping addresses
among them; their loggers are held at INFO whatever the level asked for, so
`LOG_LEVEL=DEBUG` shows our own debug lines but never a stored value. The access log
shows each request's path without its query string (a GET can carry a whole GraphQL
request, variables included, in it).
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DATABASE_LOGGERS = ("tortoise.db_client", "aiosqlite", "asyncpg")


class WithoutQueryStrings(logging.Filter):
    """uvicorn's access line is `client - "METHOD path?query HTTP/x" status`: drop `?query`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].partition("?")[0], *args[3:])
        return True


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    quiet = max(logging.INFO, logging.getLogger().getEffectiveLevel())
    for name in DATABASE_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(known, WithoutQueryStrings) for known in access.filters):
        access.addFilter(WithoutQueryStrings())
