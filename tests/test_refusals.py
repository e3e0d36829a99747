"""Crafted input gets a clean refusal, never INTERNAL, never a value in the log: ids, text,
tokens and user ids as an attacker would send them, over HTTP and websockets."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from pointsmall.app import create_app
from pointsmall.auth import TokenVerifier
from pointsmall.clock import MovableClock
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.mall.helpers import GRANT, grant
from tests.test_config import RANDOM_SECRET

NODE = "query($id: ID!) { node(id: $id) { id } }"
ME = "{ me { userId nickname timezone points { balance } } }"


def signed(api: Api, **claims: object) -> str:
    body: dict[str, object] = {
        "sub": "mei",
        "roles": ["user"],
        "exp": datetime.now(UTC) + timedelta(hours=1),
        **claims,
    }
    return jwt.encode(body, api.settings.jwt_secret, algorithm="HS256")


def global_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("key", ["²", "٣", "1e3", " 1", "-1", "9" * 19, "", "1\x00"])
async def test_any_malformed_id_is_not_found(api: Api, clock: MovableClock, key: str) -> None:
    await grant(api, "mei", 10)
    for type_name in ("Item", "LedgerEntry", "Redemption"):
        code = await api.error_code(NODE, api.user("mei"), id=global_id(f"{type_name}:{key}"))
        assert code == "NOT_FOUND"
    assert await api.error_code(NODE, api.user("mei"), id="%%%") == "NOT_FOUND"


async def test_invalid_unicode_is_refused_before_it_reaches_the_database(
    api: Api, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "marker-7c1e"
    variables = {"input": {"userId": "mei", "amount": 5, "reason": f"{marker} \ud800"}}
    variables["input"]["idempotencyKey"] = "s1"
    # As an attacker sends it: JSON text with a lone \ud800 escape (json.dumps escapes it).
    raw = json.dumps({"query": GRANT, "variables": variables})
    assert "\\ud800" in raw
    response = await api.http.post(
        "/graphql",
        content=raw.encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {api.service()}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    literal = (
        'mutation { grantPoints(input: {userId: "mei", amount: 5, reason: "x \\ud800",'
        ' idempotencyKey: "s2"}) { errors { code } } }'
    )
    assert await api.error_code(literal, api.service()) == "BAD_USER_INPUT"
    admin = await api.post('{ account(userId: "mei") { id } }', api.admin())
    assert admin["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # nothing was written
    assert marker not in caplog.text


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 10**12},
        {"exp": 10**30},
        {"iat": -5},
        {"nbf": 10**13},
        {"exp": "tomorrow"},
    ],
)
async def test_tokens_with_impossible_times_are_unauthenticated(
    api: Api, live_server: str, claims: dict[str, object]
) -> None:
    token = signed(api, **claims)
    assert await api.error_code(ME, token) == "UNAUTHENTICATED"
    async with connect(
        f"ws://{live_server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403  # a close frame


@pytest.mark.parametrize("sub", [" alice", "alice ", "alice\u3000", "ali\x07ce", "\u2028alice"])
async def test_user_ids_are_taken_exactly_as_signed(
    api: Api, clock: MovableClock, sub: str
) -> None:
    assert await api.error_code(ME, signed(api, sub=sub)) == "UNAUTHENTICATED"
    refused = await api.data(
        GRANT,
        api.service(),
        input={"userId": sub, "amount": 5, "reason": "r", "idempotencyKey": "k"},
    )
    assert refused["grantPoints"]["errors"][0]["code"] == "INVALID_VALUE"
    assert await api.error_code('{ account(userId: "alice") { id } }', api.admin()) == "NOT_FOUND"


@pytest.mark.parametrize(
    "profile", [{"nickname": "n" * 65}, {"nickname": "bell\x07"}, {"tz": "Mars/Olympus"}]
)
async def test_a_bad_nickname_or_zone_in_a_token_is_ignored(
    api: Api, clock: MovableClock, profile: dict[str, object]
) -> None:
    me = (await api.data(ME, signed(api, **profile)))["me"]
    assert me["userId"] == "mei"
    assert me["nickname"] is None and me["timezone"] == "UTC"


async def test_a_query_over_the_legacy_socket_is_a_request_problem(
    api: Api, live_server: str
) -> None:
    async with connect(f"ws://{live_server}/graphql", subprotocols=["graphql-ws"]) as socket:  # type: ignore[list-item]
        auth = {"authorization": f"Bearer {api.user('mei')}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": auth}))
        start = {"id": "q", "type": "start", "payload": {"query": "{ __typename }"}}
        await socket.send(json.dumps(start))
        while (message := json.loads(await socket.recv()))["type"] != "error":
            pass
    assert message["payload"]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_production_hides_the_schema_from_strangers(api: Api, runtime: Runtime) -> None:
    production = replace(runtime.settings, environment="production", jwt_secret=RANDOM_SECRET)
    app = create_app(
        production, replace(runtime, settings=production, tokens=TokenVerifier(production))
    )
    strangers = Api(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t"), production
    )
    async with strangers.http:
        introspection = "{ __schema { types { name } } }"
        assert await strangers.error_code(introspection) == "BAD_USER_INPUT"
        assert await strangers.error_code(introspection, strangers.user("mei")) == "BAD_USER_INPUT"
        assert (await strangers.data(introspection, strangers.admin()))["__schema"]["types"]
        typo = await strangers.post("{ itemz(first: 1) { edges { cursor } } }")
        assert "Did you mean" not in json.dumps(typo)
        typo = await strangers.post("{ itemz(first: 1) { edges { cursor } } }", strangers.admin())
        assert "Did you mean" in json.dumps(typo)  # admins get the help


async def test_the_inbox_is_for_its_user_alone(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 10)
    mine = await api.data("{ me { notifications { edges { node { id } } } } }", api.user("mei"))
    [edge] = mine["me"]["notifications"]["edges"]
    inbox = '{ account(userId: "mei") { unreadNotificationCount } }'
    assert await api.error_code(inbox, api.admin()) == "FORBIDDEN"
    assert await api.error_code(NODE, api.admin(), id=edge["node"]["id"]) == "NOT_FOUND"
    history = '{ account(userId: "mei") { ledger { edges { node { amount } } } } }'
    assert (await api.data(history, api.admin()))["account"]["ledger"]["edges"]
