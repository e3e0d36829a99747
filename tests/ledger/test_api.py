"""The ledger through GraphQL: paging, mutations, and every bad input refused without effect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from tests.api import Api

ME = """query($first: Int, $after: String) { me {
  points { balance pending held frozen expiringSoon(withinDays: 7) { amount expiresAt }
           nextExpiry { amount expiresAt } }
  ledger(first: $first, after: $after) {
    edges { cursor node { id kind amount balanceAfter reason createdAt } }
    pageInfo { hasNextPage endCursor } } } }"""
GRANT = """mutation($input: GrantPointsInput!) { grantPoints(input: $input) {
  entry { id kind amount balanceAfter } account { points { balance pending } }
  errors { code message field } } }"""
ADJUST = """mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) {
  entry { id amount } account { points { balance } } errors { code message field } } }"""
FORFEIT = """mutation($input: ForfeitPointsInput!) { forfeitPoints(input: $input) {
  entry { amount } account { points { balance } } errors { code field } } }"""
REVERSE = """mutation($input: ReverseEntryInput!) { reverseEntry(input: $input) {
  entry { amount kind } account { points { balance } } errors { code field } } }"""
FREEZE = """mutation($input: FreezeAccountInput!) { freezeAccount(input: $input) {
  account { frozen points { frozen balance } } errors { code } } }"""
UNFREEZE = """mutation($input: UnfreezeAccountInput!) { unfreezeAccount(input: $input) {
  account { frozen } errors { code } } }"""
UPSERT = """mutation($input: UpsertUserInput!) { upsertUser(input: $input) {
  account { userId nickname timezone tags registeredAt } errors { code field } } }"""


def grant_input(**overrides: Any) -> dict[str, Any]:
    return {
        "userId": "user-1",
        "amount": 100,
        "reason": "order paid",
        "idempotencyKey": "g1",
        **overrides,
    }


async def balance(api: Api, user: str = "user-1") -> int:
    value: int = (await api.data(ME, api.user(user)))["me"]["points"]["balance"]
    return value


async def every_amount(api: Api, page_size: int) -> list[int]:
    """The amounts of the user's whole history, page after page."""
    seen: list[int] = []
    after = None
    while True:
        page = (await api.data(ME, api.user(), first=page_size, after=after))["me"]["ledger"]
        seen += [edge["node"]["amount"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def test_paging_through_the_ledger_newest_first(api: Api, clock: MovableClock) -> None:
    for number in range(25):
        result = await api.data(
            GRANT, api.service(), input=grant_input(amount=number + 1, idempotencyKey=f"g{number}")
        )
        assert result["grantPoints"]["errors"] == []
    seen = await every_amount(api, page_size=10)
    assert seen == list(range(25, 0, -1))


async def test_the_ledger_is_ordered_by_time_then_id(api: Api, clock: MovableClock) -> None:
    """An entry written later for an earlier moment (a backdated import, a slow transaction)
    still shows in its place in time, on every page."""
    start = clock.now()
    for amount, hours in ((1, 0), (2, 3), (3, 1), (4, 3), (5, 2)):
        clock.set(start + timedelta(hours=hours))
        result = await api.data(
            GRANT, api.service(), input=grant_input(amount=amount, idempotencyKey=f"t{amount}")
        )
        assert result["grantPoints"]["errors"] == []
    seen = await every_amount(api, page_size=2)
    assert seen == [4, 2, 5, 3, 1]  # 3 h (by id, newest first), 2 h, 1 h, 0 h


async def test_pending_grant_and_expiring_soon_show_in_points(
    api: Api, clock: MovableClock
) -> None:
    await api.data(
        GRANT,
        api.service(),
        input=grant_input(
            availableAt=(clock.now() + timedelta(days=7)).isoformat(), idempotencyKey="p"
        ),
    )
    await api.data(
        GRANT,
        api.service(),
        input=grant_input(
            amount=30, expiresAt=(clock.now() + timedelta(days=3)).isoformat(), idempotencyKey="s"
        ),
    )
    points = (await api.data(ME, api.user()))["me"]["points"]
    assert (points["balance"], points["pending"]) == (30, 100)
    assert [item["amount"] for item in points["expiringSoon"]] == [30]
    assert points["nextExpiry"]["amount"] == 30


async def test_a_retried_grant_credits_once_and_a_changed_one_conflicts(
    api: Api, clock: MovableClock
) -> None:
    first = await api.data(GRANT, api.service(), input=grant_input())
    again = await api.data(GRANT, api.service(), input=grant_input())
    assert again["grantPoints"]["entry"]["id"] == first["grantPoints"]["entry"]["id"]
    changed = await api.data(GRANT, api.service(), input=grant_input(amount=101))
    assert changed["grantPoints"]["errors"] == [
        {
            "code": "IDEMPOTENCY_CONFLICT",
            "field": ["input", "idempotencyKey"],
            "message": "this idempotency key was already used for a different request",
        }
    ]
    assert await balance(api) == 100


async def test_admin_adjusts_forfeits_reverses_and_freezes(api: Api, clock: MovableClock) -> None:
    await api.data(GRANT, api.service(), input=grant_input(amount=500))
    debit = await api.data(
        ADJUST,
        api.admin(),
        input={
            "userId": "user-1",
            "amount": -200,
            "reason": "duplicate order",
            "idempotencyKey": "a1",
        },
    )
    assert debit["adjustPoints"]["account"]["points"]["balance"] == 300
    reversed_ = await api.data(
        REVERSE,
        api.admin(),
        input={
            "entryId": debit["adjustPoints"]["entry"]["id"],
            "amount": 50,
            "reason": "partly wrong",
            "idempotencyKey": "r1",
        },
    )
    assert reversed_["reverseEntry"]["entry"] == {"amount": 50, "kind": "REVERSAL"}
    frozen = await api.data(
        FREEZE, api.admin(), input={"userId": "user-1", "reason": "fraud check"}
    )
    assert frozen["freezeAccount"]["account"]["points"] == {"frozen": True, "balance": 350}
    unfrozen = await api.data(UNFREEZE, api.admin(), input={"userId": "user-1", "reason": "ok"})
    assert unfrozen["unfreezeAccount"]["account"]["frozen"] is False
    forfeited = await api.data(
        FORFEIT, api.admin(), input={"userId": "user-1", "reason": "abuse", "idempotencyKey": "f1"}
    )
    assert forfeited["forfeitPoints"]["entry"]["amount"] == -350
    assert await balance(api) == 0


async def test_profiles_are_upserted_by_the_shop(api: Api, clock: MovableClock) -> None:
    result = await api.data(
        UPSERT,
        api.service(),
        input={
            "userId": "user-9",
            "nickname": "Nine",
            "timezone": "Pacific/Kiritimati",
            "tags": ["Gamer", "mother", "gamer"],
            "registeredAt": "2026-11-01T08:00:00+08:00",
        },
    )
    assert result["upsertUser"]["account"] == {
        "userId": "user-9",
        "nickname": "Nine",
        "timezone": "Pacific/Kiritimati",
        "tags": ["gamer", "mother"],
        "registeredAt": "2026-11-01T00:00:00+00:00",
    }
    bad = await api.data(
        UPSERT, api.service(), input={"userId": "user-9", "timezone": "Mars/Olympus"}
    )
    assert bad["upsertUser"]["errors"] == [
        {"code": "INVALID_VALUE", "field": ["input", "timezone"]}
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 1_000_000_001}, "amount"),
        ({"reason": "x" * 10_240}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"idempotencyKey": "k" * 10_240}, "idempotencyKey"),
        ({"userId": "u" * 10_240}, "userId"),
        ({"expiresAt": "2020-01-01T00:00:00+00:00"}, "expiresAt"),
        ({"availableAt": "2099-01-01T00:00:00+00:00"}, "availableAt"),
    ],
)
async def test_bad_grant_inputs_get_a_clear_error_and_change_nothing(
    api: Api, clock: MovableClock, overrides: dict[str, Any], field: str
) -> None:
    result = await api.data(GRANT, api.service(), input=grant_input(**overrides))
    [error] = result["grantPoints"]["errors"]
    assert error["code"] == "INVALID_VALUE" and error["field"] == ["input", field]
    assert error["message"]
    assert result["grantPoints"]["entry"] is None
    account = "query($u: String!) { account(userId: $u) { userId } }"
    assert await api.error_code(account, api.admin(), u="user-1") == "NOT_FOUND"  # not opened


async def test_a_callers_key_never_collides_with_the_systems_own(
    api: Api, clock: MovableClock
) -> None:
    """The shop may pick `order:o-1` as a grant's key; the order o-1 still earns."""
    granted = await api.data(GRANT, api.service(), input=grant_input(idempotencyKey="order:o-1"))
    assert granted["grantPoints"]["errors"] == []
    order = """mutation($input: RecordOrderInput!) { recordOrder(input: $input) {
      order { points } errors { code } } }"""
    line = {"sku": "tv", "category": "tv", "amount": 10_000, "currency": "USD"}
    recorded = await api.data(
        order,
        api.service(),
        input={
            "orderId": "o-1",
            "userId": "user-1",
            "paidAt": clock.now().isoformat(),
            "lines": [line],
        },
    )
    assert recorded["recordOrder"]["errors"] == []
    adjusted = await api.data(
        ADJUST,
        api.admin(),
        input={"userId": "user-1", "amount": 5, "reason": "r", "idempotencyKey": "order:o-1"},
    )
    assert adjusted["adjustPoints"]["errors"] == []
    data = await api.data(ME, api.user())
    assert data["me"]["points"]["balance"] == 105
    assert data["me"]["points"]["pending"] == 100


async def test_request_problems_are_bad_user_input(api: Api, clock: MovableClock) -> None:
    token = api.user()
    assert await api.error_code(ME, token, first=101) == "BAD_USER_INPUT"
    assert await api.error_code(ME, token, first=-1) == "BAD_USER_INPUT"
    assert await api.error_code(ME, token, after="bm9wZTox") == "BAD_USER_INPUT"
    assert (
        await api.error_code("{ me { points { expiringSoon(withinDays: 0) { amount } } } }", token)
        == "BAD_USER_INPUT"
    )
    assert await api.error_code("{ me { nope } }", token) == "BAD_USER_INPUT"
    assert await api.error_code("{ me { ", token) == "BAD_USER_INPUT"
    assert (
        await api.error_code(GRANT, api.service(), input={"userId": "u", "amount": "lots"})
        == "BAD_USER_INPUT"
    )
    assert (
        await api.error_code(GRANT, api.service(), input=grant_input(amount=2**40))
        == "BAD_USER_INPUT"
    )


async def test_deep_wide_and_huge_queries_are_refused(api: Api, clock: MovableClock) -> None:
    token = api.user()
    deep = "{ me { ledger { edges { node { id } } } } }"
    for _ in range(8):
        deep = deep.replace("node { id }", "node { ... on LedgerEntry { id } id }")
    nested = (
        '{ node(id: "x") { '
        + "... on Account { ledger { edges { node { " * 4
        + "id"
        + " } } } }" * 4
        + " } }"
    )
    assert await api.error_code(nested, token) == "BAD_USER_INPUT"
    aliases = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(40)) + " }"
    assert await api.error_code(aliases, token) == "BAD_USER_INPUT"
    tokens = "{ me { " + "id " * 3000 + "} }"
    assert await api.error_code(tokens, token) == "BAD_USER_INPUT"
    response = await api.http.post(
        "/graphql", content=b"x" * 300_000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
