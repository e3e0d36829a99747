"""The Redis gate: cheap refusals once sold out, and a reconcile back to the database."""

from __future__ import annotations

from pointsmall.app import scheduled_jobs
from pointsmall.clock import MovableClock
from pointsmall.domain.mall.flash_gate import quota_key, reconcile_all, stock_key
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.conftest import SqlLog
from tests.mall.helpers import create_item, db_id, grant, redeem


async def test_sold_out_attempts_are_refused_without_a_transaction(
    api: Api, clock: MovableClock, runtime: Runtime, sql_log: SqlLog
) -> None:
    await grant(api, "mei", 1_000)
    await grant(api, "ana", 1_000)
    item = await create_item(api, pricePoints=10, stock=1, limited=True)
    assert (await redeem(api, "mei", item["id"], "r1"))["errors"] == []
    sql_log.statements.clear()
    refused = await redeem(api, "ana", item["id"], "r2")
    assert refused["errors"][0]["code"] == "OUT_OF_STOCK"
    # No transaction, no lock, no write: one indexed read, to tell a retry from a new attempt.
    assert len(sql_log.statements) == 1, sql_log.statements
    assert sql_log.statements[0].lstrip().upper().startswith("SELECT")


async def test_reconcile_resets_the_gate_from_the_database(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    await grant(api, "mei", 1_000)
    item = await create_item(api, pricePoints=10, stock=5, perUserQuota=2)
    await redeem(api, "mei", item["id"], "r1")
    item_id = db_id(item["id"])
    await runtime.redis.set(stock_key(item_id), 99)  # drifted, e.g. a crash mid-attempt
    await runtime.redis.delete(quota_key(item_id, "lifetime", "mei"))
    assert await reconcile_all(runtime.gate) == 1
    assert await runtime.redis.get(stock_key(item_id)) == "4"
    assert await runtime.redis.get(quota_key(item_id, "lifetime", "mei")) == "1"
    await redeem(api, "mei", item["id"], "r2")
    refused = await redeem(api, "mei", item["id"], "r3")
    assert refused["errors"][0]["code"] == "QUOTA_EXCEEDED"


async def test_retries_take_nothing_from_the_gate(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    await grant(api, "mei", 100)
    item = await create_item(api, pricePoints=10, stock=3, perUserQuota=2)
    for _ in range(3):
        await redeem(api, "mei", item["id"], "same")
    item_id = db_id(item["id"])
    assert await runtime.redis.get(stock_key(item_id)) == "2"
    assert await runtime.redis.get(quota_key(item_id, "lifetime", "mei")) == "1"
    assert (await redeem(api, "mei", item["id"], "second"))["errors"] == []


async def test_what_the_database_refuses_goes_back_to_the_gate(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    item = await create_item(api, pricePoints=10, stock=3, perUserQuota=1, quotaWindow="SALE")
    item_id = db_id(item["id"])
    await grant(api, "poor", 5)
    refused = await redeem(api, "poor", item["id"], "try")  # the gate lets it through
    assert refused["errors"][0]["code"] == "INSUFFICIENT_POINTS"
    assert await runtime.redis.get(stock_key(item_id)) == "3"
    quota_keys = [key async for key in runtime.redis.scan_iter(match=quota_key(item_id, "*", "*"))]
    assert [await runtime.redis.get(key) for key in quota_keys] in ([], ["0"])
    await grant(api, "poor", 5, "more")
    assert (await redeem(api, "poor", item["id"], "again"))["errors"] == []  # quota intact
    assert await runtime.redis.get(stock_key(item_id)) == "2"


async def test_the_scheduled_check_puts_a_drifted_gate_right(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    await grant(api, "mei", 1_000)
    item = await create_item(api, pricePoints=10, stock=5)
    await redeem(api, "mei", item["id"], "r1")
    item_id = db_id(item["id"])
    await runtime.redis.set(stock_key(item_id), 2)  # units a killed worker never gave back
    [check] = [job for job in scheduled_jobs(runtime) if job.name == "gate-check"]
    assert await check.run() == 1
    assert await runtime.redis.get(stock_key(item_id)) == "4"


async def test_a_database_refusal_takes_a_phantom_unit_off_the_gate(
    api: Api, clock: MovableClock, runtime: Runtime
) -> None:
    """A gate one over (a reconcile raced a commit) converges: the attempt it lets through
    in vain is refused by the database, and that unit does not go back."""
    await grant(api, "mei", 1_000)
    await grant(api, "ana", 1_000)
    item = await create_item(api, pricePoints=10, stock=1)
    await redeem(api, "mei", item["id"], "r1")
    item_id = db_id(item["id"])
    await runtime.redis.set(stock_key(item_id), 1)  # one over: the database has none left
    refused = await redeem(api, "ana", item["id"], "r2")
    assert refused["errors"][0]["code"] == "OUT_OF_STOCK"
    assert await runtime.redis.get(stock_key(item_id)) == "0"
