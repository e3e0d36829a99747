"""Logging for the server and the commands: one format, and no personal data in the log.

At DEBUG the database drivers log every statement with its values, shipping addresses
among them; their loggers are held at INFO whatever the level asked for, so
`LOG_LEVEL=DEBUG` shows our own debug lines but never a stored value.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DATABASE_LOGGERS = ("tortoise.db_client", "aiosqlite", "asyncpg")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    quiet = max(logging.INFO, logging.getLogger().getEffectiveLevel())
    for name in DATABASE_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
