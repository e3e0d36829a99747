"""Logging for the server and the commands: one format, and no request's values in the log.

At DEBUG the database drivers log every statement with its values, shipping addresses
among them; their loggers are held at INFO whatever the level asked for, so
`LOG_LEVEL=DEBUG` shows our own debug lines but never a stored value. The access log
shows each request's path without its query string (a GET can carry a whole GraphQL
request, variables included, in it).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DATABASE_LOGGERS = ("tortoise.db_client", "aiosqlite", "asyncpg")


class WithoutQueryStrings(logging.Filter):
    """uvicorn's access line is `client - "METHOD path?query HTTP/x" status`: drop `?query`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].partition("?")[0], *args[3:])
        return True


# The request being served, for the lines it logs (set as its GraphQL context is made).
request_id: ContextVar[str | None] = ContextVar("pointsmall_request_id", default=None)


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's id, and the
    traceback if any (`LOG_FORMAT=json`)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            line["request_id"] = current
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, json_lines: bool = False) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    if json_lines:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
    quiet = max(logging.INFO, logging.getLogger().getEffectiveLevel())
    for name in DATABASE_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(known, WithoutQueryStrings) for known in access.filters):
        access.addFilter(WithoutQueryStrings())
