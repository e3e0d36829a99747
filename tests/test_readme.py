"""Every GraphQL example in the README runs as written against `make run`'s demo data.

Each block's first line names its caller (`# as: user` is the demo user); blocks with
several operations name them, and each operation runs in turn, as a reader pasting the
block into GraphiQL would run them. A GraphQL error, or a payload error, fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, OperationType, parse

from pointsmall.demo import DEMO_USER, seed_demo
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.mall.helpers import grant
from tests.notifications.helpers import connected, subscriptions_in_place

README = Path(__file__).resolve().parent.parent / "README.md"

CALLER = re.compile(r"\A# as: (user|admin|service|anyone)\n")


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def token_of(api: Api, caller: str) -> str | None:
    return {
        "user": api.user(DEMO_USER),
        "admin": api.admin(),
        "service": api.service(),
        "anyone": None,
    }[caller]


def payload_errors(data: dict[str, Any]) -> list[object]:
    """The `errors` of every mutation payload in a response."""
    found: list[object] = []
    for value in data.values():
        if isinstance(value, dict):
            found += value.get("errors") or []
    return found


async def run_operation(api: Api, block: str, name: str | None, token: str | None) -> None:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await api.http.post(
        "/graphql", json={"query": block, "operationName": name}, headers=headers
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, (name, body["errors"])
    assert payload_errors(body["data"]) == [], (name, body["data"])


async def run_subscription(
    api: Api, live_server: str, runtime: Runtime, block: str, token: str
) -> None:
    """Subscribe as a reader would, earn a point, and see the subscription answer."""
    subscriber = await connected(live_server, token)
    await subscriber.subscribe(block)
    await subscriptions_in_place(runtime, 1)
    await grant(api, DEMO_USER, 1, f"readme-{len(block)}")
    data = await subscriber.next_data()  # no errors, data for the operation
    assert data
    await subscriber.socket.close()


async def test_every_graphql_example_in_the_readme_runs_on_the_demo(
    api: Api, live_server: str, runtime: Runtime
) -> None:
    await seed_demo(runtime.rules, runtime.engagement, runtime.settings.public_url)
    blocks = readme_blocks("graphql")
    assert len(blocks) >= 15, "the README's examples went missing"
    for block in blocks:
        caller = CALLER.match(block)
        assert caller, f"a README example names no caller (# as: ...):\n{block}"
        token = token_of(api, caller.group(1))
        operations = [
            definition
            for definition in parse(block).definitions
            if isinstance(definition, OperationDefinitionNode)
        ]
        assert len(operations) == 1 or all(operation.name for operation in operations), block
        for operation in operations:
            if operation.operation == OperationType.SUBSCRIPTION:
                assert len(operations) == 1 and token is not None, block
                await run_subscription(api, live_server, runtime, block, token)
            else:
                name = operation.name.value if operation.name else None
                await run_operation(api, block, name, token)
