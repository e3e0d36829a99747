"""Migrations bring an existing database's rows along, not only its tables."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

NOW = "2026-11-01 10:00:00+00:00"


def run(database: Path, *command: str) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)


def test_lifecycle_migration_counts_what_was_refunded_before_it(tmp_path: Path) -> None:
    """0007 adds `refunded_amount` to orders; orders refunded before it get theirs from
    their refunded lines, so a wholly refunded order stops counting as a paid one."""
    database = tmp_path / "old.sqlite3"
    tortoise = str(Path(sys.executable).with_name("tortoise"))
    run(database, tortoise, "-c", "pointsmall.db.TORTOISE_ORM", "migrate", "pointsmall",
        "0006_ledger_by_time")  # fmt: skip
    lines: list[dict[str, Any]] = [
        {"sku": "a", "category": "c", "amount": 300, "points": 3,
         "refunded_amount": 300, "refunded_points": 3},
        {"sku": "b", "category": "c", "amount": 200, "points": 2,
         "refunded_amount": 50, "refunded_points": 0},
    ]  # fmt: skip
    with sqlite3.connect(database) as connection:
        connection.execute(
            'INSERT INTO "account" ("user_id", "tags", "frozen", "ledger_balance", "held", '
            '"created_at", "updated_at") VALUES (?, ?, 0, 0, 0, ?, ?)',
            ("mei", "[]", NOW, NOW),
        )
        kept = [{**lines[1], "refunded_amount": 0}]
        for order_id, order_lines in (("refunded", lines), ("kept", kept)):
            connection.execute(
                'INSERT INTO "engagement_order" ("order_id", "paid_at", "currency", "amount", '
                '"points", "first_order_bonus", "lines", "request_fingerprint", "created_at", '
                '"account_id") VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?, 1)',
                (order_id, NOW, "USD", sum(line["amount"] for line in order_lines),
                 json.dumps(order_lines), "f", NOW),
            )  # fmt: skip
        connection.execute(
            'INSERT INTO "engagement_order_refund" ("refund_id", "lines", "points", "taken", '
            '"owed", "request_fingerprint", "created_at", "order_id") '
            "VALUES ('r', '[]', 3, 3, 0, 'f', ?, 1)",
            (NOW,),
        )
    run(database, str(Path(sys.executable).with_name("pointsmall")), "migrate")
    with sqlite3.connect(database) as connection:
        rows = dict(
            connection.execute('SELECT "order_id", "refunded_amount" FROM "engagement_order"')
        )
        segment = connection.execute('SELECT "segment" FROM "account"').fetchone()[0]
    assert rows == {"refunded": 350, "kept": 0}
    assert segment == "NEW"


def test_tasks_kept_for_tags_are_kept_for_an_audience_after_0008(tmp_path: Path) -> None:
    """0008 replaces a task's audience tags (any of them) with an audience saying so."""
    database = tmp_path / "old.sqlite3"
    tortoise = str(Path(sys.executable).with_name("tortoise"))
    run(database, tortoise, "-c", "pointsmall.db.TORTOISE_ORM", "migrate", "pointsmall",
        "0007_lifecycle")  # fmt: skip
    with sqlite3.connect(database) as connection:
        for title, tags in (("For gamers", ["gamer", "tea"]), ("For all", [])):
            connection.execute(
                'INSERT INTO "engagement_task" ("title", "description", "event", "window", '
                '"consecutive_days", "tiers", "auto_claim", "audience_tags", "state", '
                "\"created_at\", \"updated_at\") VALUES (?, '', 'CHECK_IN', 'ONCE', 0, "
                "'[{\"target\": 1, \"reward\": 5}]', 1, ?, 'ACTIVE', ?, ?)",
                (title, json.dumps(tags), NOW, NOW),
            )
    run(database, str(Path(sys.executable).with_name("pointsmall")), "migrate")
    with sqlite3.connect(database) as connection:
        tasks = dict(connection.execute('SELECT "title", "audience_id" FROM "engagement_task"'))
        audiences = {
            row[0]: json.loads(row[1])
            for row in connection.execute('SELECT "id", "rule" FROM "audience"')
        }
    assert tasks["For all"] is None
    assert audiences == {tasks["For gamers"]: {"any": [{"tag": "gamer"}, {"tag": "tea"}]}}
