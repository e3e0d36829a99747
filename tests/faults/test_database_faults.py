"""PostgreSQL drops the server's connections in the middle of transactions, under load: the
server recovers by itself, and nothing is ever half-written."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import asyncpg
import pytest

from pointsmall.config import Settings
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.models import Entry, EntryKind, Item, Redemption, RedemptionStatus
from pointsmall.schema.node import parse_global_id
from tests.api import Api
from tests.mall.helpers import GRANT, REDEEM, create_item

pytestmark = pytest.mark.postgres
LOAD_SECONDS = 3.0


async def terminate_the_servers_connections(settings: Settings) -> int:
    """What a failover or an admin's pg_terminate_backend does to the pool."""
    database = settings.database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        return len(rows)
    finally:
        await admin.close()


async def redeem_or_grant(api: Api, user: str, item_id: str, number: int) -> dict[str, Any]:
    if number % 3 == 0:
        grant = {"userId": user, "amount": 50, "reason": "r", "idempotencyKey": f"g{number}"}
        return await api.post(GRANT, api.service(), input=grant)
    attempt = {"itemId": item_id, "quantity": 1, "idempotencyKey": f"r{number}"}
    return await api.post(REDEEM, api.user(user), input=attempt)


async def test_killed_connections_under_load_lose_nothing_and_the_server_recovers(
    api: Api, settings: Settings
) -> None:
    item = await create_item(api, title="Drop", stock=1000, pricePoints=10)
    for number in range(20):
        grant = {"userId": f"u{number}", "amount": 10_000, "reason": "r", "idempotencyKey": "g"}
        assert (await api.data(GRANT, api.service(), input=grant))["grantPoints"]["errors"] == []
    outcomes: list[str] = []

    async def client(user: str) -> None:
        number = 0
        deadline = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < deadline:
            number += 1
            body = await redeem_or_grant(api, user, item["id"], number)
            errors = body.get("errors") or []
            outcomes.append(errors[0]["extensions"]["code"] if errors else "OK")

    load = asyncio.gather(*(client(f"u{number}") for number in range(20)))
    killed = 0
    for _ in range(3):
        await asyncio.sleep(LOAD_SECONDS / 4)
        killed += await terminate_the_servers_connections(settings)
    await load
    assert killed > 0
    # A request whose connection died is told so, never INTERNAL: it may retry as it is.
    assert set(outcomes) <= {"OK", "UNAVAILABLE"}
    assert "UNAVAILABLE" in outcomes and "OK" in outcomes

    # Recovered by itself: every request succeeds again.
    for number in range(10):
        body = await redeem_or_grant(api, f"u{number}", item["id"], 10_000 + number)
        assert "errors" not in body, body

    # Nothing half-written: books clean, stock equals confirmed redemptions, each with its spend.
    with contextlib.suppress(Exception):  # the test's own pool may need one more reconnect
        await Item.all().count()
    assert (await audit_ledger()).clean
    item_id = parse_global_id(item["id"], "id")[1]
    stored = await Item.get(id=item_id)
    confirmed = await Redemption.filter(item_id=item_id, status=RedemptionStatus.CONFIRMED)
    assert (stored.stock_total or 0) - (stored.stock_remaining or 0) == len(confirmed)
    spends = await Entry.filter(kind=EntryKind.SPEND, reference__startswith="redemption:")
    assert {entry.reference for entry in spends} == {
        f"redemption:{redemption.id}" for redemption in confirmed
    }
