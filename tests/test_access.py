"""Authentication, roles, and a user never reaching another user's data."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from pointsmall.auth import Role
from pointsmall.clock import MovableClock
from tests.api import Api

ME = "{ me { id userId points { balance } } }"
ACCOUNT = "query($u: String!) { account(userId: $u) { userId points { balance } } }"
NODE = """query($id: ID!) { node(id: $id) {
  id ... on LedgerEntry { amount } ... on Account { userId } } }"""
GRANT = """mutation($input: GrantPointsInput!) { grantPoints(input: $input) {
  entry { id } errors { code field } } }"""
ADJUST = """mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) {
  entry { id amount } account { points { balance } } errors { code message field } } }"""


async def grant(api: Api, user: str, amount: int = 100, key: str = "g") -> str:
    data = await api.data(
        GRANT,
        api.service(),
        input={"userId": user, "amount": amount, "reason": "test", "idempotencyKey": key},
    )
    assert data["grantPoints"]["errors"] == []
    entry_id: str = data["grantPoints"]["entry"]["id"]
    return entry_id


async def test_no_token_is_unauthenticated(api: Api) -> None:
    assert await api.error_code(ME) == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic abc", "Bearer "])
async def test_malformed_authorization_is_unauthenticated(api: Api, header: str) -> None:
    response = await api.http.post(
        "/graphql", json={"query": ME}, headers={"authorization": header}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expired_and_wrongly_signed_tokens_are_unauthenticated(api: Api) -> None:
    expired = api.token("user-1", Role.USER, ttl=timedelta(seconds=-5))
    assert await api.error_code(ME, expired) == "UNAUTHENTICATED"
    forged = jwt.encode(
        {"sub": "user-1", "roles": ["admin"], "exp": 4102444800},
        "a-guessed-secret-that-is-long-enough-to-sign",
        "HS256",
    )
    assert await api.error_code(ME, forged) == "UNAUTHENTICATED"
    unknown_role = jwt.encode(
        {"sub": "u", "roles": ["root"], "exp": 4102444800}, api.settings.jwt_secret, "HS256"
    )
    assert await api.error_code(ME, unknown_role) == "UNAUTHENTICATED"


async def test_wrong_roles_are_forbidden(api: Api) -> None:
    assert await api.error_code(ACCOUNT, api.user(), u="user-1") == "FORBIDDEN"
    assert await api.error_code(ACCOUNT, api.service(), u="user-1") == "FORBIDDEN"
    body = await api.post(
        GRANT,
        api.user(),
        input={"userId": "user-1", "amount": 10, "reason": "self-service", "idempotencyKey": "k"},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin_grants = await api.post(
        GRANT,
        api.admin(),
        input={"userId": "user-1", "amount": 10, "reason": "x", "idempotencyKey": "k"},
    )
    assert admin_grants["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await api.error_code(ME, api.service()) == "FORBIDDEN"


async def test_admin_reaches_any_account_and_unknown_users_are_not_found(api: Api) -> None:
    await grant(api, "user-7", 70)
    data = await api.data(ACCOUNT, api.admin(), u="user-7")
    assert data["account"] == {"userId": "user-7", "points": {"balance": 70}}
    body = await api.post(ACCOUNT, api.admin(), u="nobody")
    assert body["data"]["account"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    adjusted = await api.data(
        ADJUST,
        api.admin(),
        input={"userId": "nobody", "amount": 5, "reason": "x", "idempotencyKey": "k"},
    )
    assert adjusted["adjustPoints"]["errors"][0]["code"] == "NOT_FOUND"
    # ...and the admin call opened no account for the unknown user.
    assert (await api.post(ACCOUNT, api.admin(), u="nobody"))["data"]["account"] is None


async def test_a_user_cannot_reach_another_users_account_or_entries_by_any_id(api: Api) -> None:
    victim_entry = await grant(api, "victim", 500, "v")
    victim = await api.data(ME, api.user("victim"))
    attacker = api.user("attacker")
    for object_id in (victim["me"]["id"], victim_entry):
        body = await api.post(NODE, attacker, id=object_id)
        assert body["data"]["node"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # the owner reaches both
    assert (await api.data(NODE, api.user("victim"), id=victim_entry))["node"]["amount"] == 500
    assert (await api.data(NODE, api.user("victim"), id=victim["me"]["id"]))["node"][
        "userId"
    ] == "victim"


@pytest.mark.parametrize(
    "bad_id", ["", "not-base64!", "QWNjb3VudDp4", "VW5rbm93bjox", "TGVkZ2VyRW50cnk6OTk5OTk="]
)
async def test_malformed_or_unknown_ids_are_not_found(api: Api, bad_id: str) -> None:
    assert await api.error_code(NODE, api.user(), id=bad_id) == "NOT_FOUND"


async def test_the_audit_trail_is_for_admins_only(api: Api) -> None:
    entry_id = await grant(api, "user-1")
    query = "query($id: ID!) { node(id: $id) { ... on LedgerEntry { audit { actor actorRole } } } }"
    assert await api.error_code(query, api.user("user-1"), id=entry_id) == "FORBIDDEN"
    audit = (await api.data(query, api.admin(), id=entry_id))["node"]["audit"]
    assert audit == {"actor": "shop-backend", "actorRole": "service"}


async def test_a_service_call_opens_the_account_of_a_user_not_seen_before(api: Api) -> None:
    await grant(api, "fresh-user", 42)
    data = await api.data(ME, api.user("fresh-user"))
    assert data["me"]["points"]["balance"] == 42


async def test_a_10kb_user_id_is_a_clear_error(api: Api) -> None:
    body = await api.post(ACCOUNT, api.admin(), u="u" * 10_240)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "userId" in body["errors"][0]["message"]


async def test_the_shop_sees_points_in_payloads_but_no_private_history(
    api: Api, clock: MovableClock
) -> None:
    with_history = """mutation($input: GrantPointsInput!) { grantPoints(input: $input) {
      account { userId ledger { edges { node { id } } } } errors { code } } }"""
    body = await api.post(
        with_history,
        api.service(),
        input={"userId": "mei", "amount": 5, "reason": "r", "idempotencyKey": "k"},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"][-1] == "ledger"
