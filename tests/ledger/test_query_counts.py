"""A page of the ledger costs the same few queries however long it is."""

from __future__ import annotations

from pointsmall.clock import MovableClock
from tests.api import Api
from tests.conftest import SqlLog
from tests.mall.helpers import grant

ENTRY = "id kind amount balanceAfter reason reference createdAt"
MY_LEDGER = f"""query($first: Int!) {{ me {{ ledger(first: $first) {{
  edges {{ cursor node {{ {ENTRY} }} }} pageInfo {{ hasNextPage endCursor }} }} }} }}"""
AUDITED_LEDGER = f"""query($first: Int!) {{ account(userId: "mei") {{ ledger(first: $first) {{
  edges {{ node {{ {ENTRY} audit {{ actor actorRole requestId idempotencyKey counterparty }} }} }}
  }} }} }}"""


async def test_a_page_of_the_ledger_costs_the_same_queries_however_long(
    api: Api, clock: MovableClock, sql_log: SqlLog
) -> None:
    for number in range(12):
        await grant(api, "mei", 10 + number, f"g{number}")
    for query, token, bound in (
        (MY_LEDGER, api.user("mei"), 2),
        (AUDITED_LEDGER, api.admin(), 2),
    ):
        _, short = await sql_log.count(api.data(query, token, first=2))
        data, long = await sql_log.count(api.data(query, token, first=12))
        account = data.get("me") or data["account"]
        assert len(account["ledger"]["edges"]) == 12
        assert short == long <= bound, sql_log.statements
