"""Live notifications over both websocket protocols: at once, only one's own, nothing lost
on reconnect, sockets closed when their token expires, a limit per connection."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pointsmall.clock import MovableClock
from pointsmall.domain.notifications import inbox
from pointsmall.models import Account
from pointsmall.runtime import Runtime, account_channel
from pointsmall.subscriptions.broker import QUEUE_SIZE, LocalBroker, Mailbox
from pointsmall.subscriptions.messages import RESYNC
from tests.api import Api
from tests.mall.helpers import create_item, grant, redeem
from tests.notifications.helpers import connected, subscriptions_in_place


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_redemption_is_confirmed_live_within_a_second(
    api: Api, clock: MovableClock, live_server: str, runtime: Runtime, protocol: str
) -> None:
    await grant(api, "mei", 500)
    item = await create_item(api, title="Coffee", pricePoints=100)
    subscriber = await connected(live_server, api.user("mei"), protocol)
    stranger = await connected(live_server, api.user("ana"), protocol)
    await subscriber.subscribe()
    await stranger.subscribe()
    await subscriptions_in_place(runtime, 2)
    started = time.monotonic()
    await redeem(api, "mei", item["id"], "r1")
    data = (await subscriber.next_data(timeout=1.0))["notifications"]
    assert time.monotonic() - started < 1.0
    assert data["__typename"] == "RedemptionUpdated"
    assert data["redemption"]["status"] == "CONFIRMED"
    assert data["redemption"]["item"]["title"] == "Coffee"
    assert await stranger.nothing_for(0.3)  # never someone else's
    await subscriber.socket.close()
    await stranger.socket.close()


async def test_reconnecting_after_the_last_id_seen_loses_and_repeats_nothing(
    api: Api, clock: MovableClock, live_server: str, runtime: Runtime
) -> None:
    subscriber = await connected(live_server, api.user("mei"))
    await subscriber.subscribe()
    await subscriptions_in_place(runtime, 1)
    await grant(api, "mei", 1, "g1")
    last_seen = (await subscriber.next_data())["notifications"]["id"]
    await subscriber.socket.close()
    for number in range(2, 5):  # while offline
        await grant(api, "mei", number, f"g{number}")
    back = await connected(live_server, api.user("mei"))
    await back.subscribe(after=last_seen)
    missed = [(await back.next_data())["notifications"]["amount"] for _ in range(3)]
    assert missed == [2, 3, 4]  # in order
    await grant(api, "mei", 5, "g5")
    assert (await back.next_data())["notifications"]["amount"] == 5  # then live
    assert await back.nothing_for(0.3)  # and nothing twice
    await back.socket.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_socket_closes_when_its_token_expires(
    api: Api, live_server: str, protocol: str
) -> None:
    # `exp` is whole seconds: a 2-second token lives 1 to 2 seconds, time to connect.
    short = api.user("mei", ttl=timedelta(seconds=2))
    subscriber = await connected(live_server, short, protocol)
    await subscriber.subscribe()
    with pytest.raises(ConnectionClosed) as closed:
        await subscriber.receive(timeout=6)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    assert "token expired" in closed.value.rcvd.reason


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
@pytest.mark.parametrize("token", ["missing", "forged", "expired"])
async def test_only_a_valid_token_opens_a_connection(
    api: Api, live_server: str, protocol: str, token: str
) -> None:
    payload = {
        "missing": {},
        "forged": {"authorization": "Bearer not-a-token"},
        "expired": {"authorization": f"Bearer {api.user('mei', ttl=timedelta(seconds=-1))}"},
    }[token]
    async with connect(f"ws://{live_server}/graphql", subprotocols=[protocol]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        if protocol == "graphql-ws":  # the legacy protocol says why
            answer = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert answer["type"] == "connection_error", answer
            assert answer["payload"]["code"] == "UNAUTHENTICATED"
            return
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_service_token_has_no_notifications_to_follow(api: Api, live_server: str) -> None:
    subscriber = await connected(live_server, api.service())
    await subscriber.subscribe()
    refused = await subscriber.receive()
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    await subscriber.socket.close()


async def test_subscriptions_per_connection_are_limited(
    api: Api, live_server: str, runtime: Runtime
) -> None:
    subscriber = await connected(live_server, api.user("mei"))
    for _ in range(20):
        await subscriber.subscribe()
    extra = await subscriber.subscribe()
    refused = await subscriber.receive()
    assert (refused["id"], refused["type"]) == (extra, "error")
    assert refused["payload"][0]["message"] == "Subscription limit reached"
    await subscriptions_in_place(runtime, 20)
    await grant(api, "mei", 7)  # the twenty in place still work, each told once
    told = [await subscriber.receive() for _ in range(20)]
    assert sorted(int(message["id"]) for message in told) == list(range(1, 21))
    assert {message["payload"]["data"]["notifications"]["amount"] for message in told} == {7}
    await subscriber.socket.close()  # quick: nothing unread holds up the closing handshake


async def test_a_bad_after_id_is_refused(api: Api, live_server: str) -> None:
    subscriber = await connected(live_server, api.user("mei"))
    await subscriber.subscribe(after="not-an-id")
    message = await subscriber.receive()
    assert message["type"] in ("error", "next")
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    await subscriber.socket.close()


async def test_a_notification_overtaken_on_the_way_is_still_told_in_order(
    api: Api, live_server: str, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber = await connected(live_server, api.user("mei"))
    await subscriber.subscribe()
    await subscriptions_in_place(runtime, 1)
    publish = runtime.broker.publish
    late: list[tuple[str, str]] = []

    async def overtaken(channel: str, message: str) -> None:
        if not late and json.loads(message).get("kind") == "notification":
            late.append((channel, message))  # held back, as by a slow link between workers
            return
        await publish(channel, message)

    monkeypatch.setattr(runtime.broker, "publish", overtaken)
    await grant(api, "mei", 1, "g1")
    await grant(api, "mei", 2, "g2")  # its message arrives first
    told = [(await subscriber.next_data())["notifications"]["amount"] for _ in range(2)]
    assert told == [1, 2]
    await publish(*late[0])  # the held-back message arrives at last: told once only
    assert await subscriber.nothing_for(0.3)
    await subscriber.socket.close()


async def test_a_subscriber_that_falls_behind_is_told_to_resync() -> None:
    broker = LocalBroker()
    mailbox = Mailbox()
    broker.listen("account:1", mailbox)
    for number in range(QUEUE_SIZE + 5):
        await broker.publish("account:1", str(number))
    drained = mailbox.take_all()
    assert RESYNC in drained
    assert len(drained) < QUEUE_SIZE + 5


async def test_two_events_on_one_socket_report_fresh_data(
    api: Api, clock: MovableClock, live_server: str, runtime: Runtime
) -> None:
    """Loaders belong to one event, not to the connection: the second redemption's notice
    shows the stock left after it, not the stock the first one saw."""
    await grant(api, "mei", 500)
    item = await create_item(api, title="Coffee", pricePoints=100, stock=10)
    subscriber = await connected(live_server, api.user("mei"))
    await subscriber.subscribe()
    await subscriptions_in_place(runtime, 1)
    seen = []
    for key in ("r1", "r2"):
        await redeem(api, "mei", item["id"], key)
        while True:
            data = (await subscriber.next_data())["notifications"]
            if data["__typename"] == "RedemptionUpdated":
                seen.append(data["redemption"]["item"]["remainingStock"])
                break
    assert seen == [9, 8]
    await subscriber.socket.close()


async def test_waiting_subscriptions_hold_no_task_and_stop_when_completed(
    api: Api, live_server: str, runtime: Runtime
) -> None:
    """Between events a subscription is a few objects, not a running execution: ten on one
    socket start no task of their own; each is told its events; `complete` stops one,
    closing the socket the rest, and the broker lets go of each."""
    subscriber = await connected(live_server, api.user("mei"))
    first = await subscriber.subscribe()
    await subscriptions_in_place(runtime, 1)
    await asyncio.sleep(0.05)  # the first one's start is sent
    tasks = len(asyncio.all_tasks())
    for _ in range(9):
        await subscriber.subscribe()
    await subscriptions_in_place(runtime, 10)
    await asyncio.sleep(0.05)
    assert len(asyncio.all_tasks()) == tasks

    await grant(api, "mei", 7)
    told = [await subscriber.receive() for _ in range(10)]
    assert sorted(int(message["id"]) for message in told) == list(range(1, 11))
    assert {message["payload"]["data"]["notifications"]["amount"] for message in told} == {7}

    await subscriber.socket.send(json.dumps({"id": first, "type": "complete"}))
    await subscriptions_in_place_exactly(runtime, 9)
    await grant(api, "mei", 8)
    told = [await subscriber.receive() for _ in range(9)]
    assert first not in {message["id"] for message in told}
    assert await subscriber.nothing_for(0.2)
    await subscriber.socket.close()
    await subscriptions_in_place_exactly(runtime, 0)


async def subscriptions_in_place_exactly(runtime: Runtime, count: int) -> None:
    deadline = time.monotonic() + 5
    while runtime.broker.subscribers != count:
        assert time.monotonic() < deadline, f"{runtime.broker.subscribers} subscriptions"
        await asyncio.sleep(0.005)


async def test_a_delivery_that_fails_tells_the_subscriber_and_ends(
    api: Api, live_server: str, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails while a waiting subscription rereads its inbox: the subscriber
    gets a masked error (no internals) and `complete`, and nothing waits for it any more."""
    await grant(api, "mei", 5)
    subscriber = await connected(live_server, api.user("mei"))
    operation = await subscriber.subscribe()
    await subscriptions_in_place(runtime, 1)
    await asyncio.sleep(0.05)  # its start is sent: it waits

    async def failing_page(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(inbox, "page", failing_page)
    account = await Account.get(user_id="mei")
    await runtime.broker.publish(account_channel(account.id), RESYNC)
    failed = await subscriber.receive()
    assert (failed["id"], failed["type"]) == (operation, "next")
    [error] = failed["payload"]["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL"
    assert "fire" not in json.dumps(failed)
    assert await subscriber.receive() == {"id": operation, "type": "complete"}
    await subscriptions_in_place_exactly(runtime, 0)
    await subscriber.socket.close()


async def test_a_tier_change_and_a_gift_are_told_live(
    api: Api, clock: MovableClock, live_server: str, runtime: Runtime
) -> None:
    subscriber = await connected(live_server, api.user("mei"))
    await subscriber.subscribe(
        """subscription { notifications { __typename
          ... on TierChanged { previous tier up }
          ... on GiftReceived { occasion points } } }"""
    )
    await subscriptions_in_place(runtime, 1)
    await grant(api, "mei", 5_000)
    told = [(await subscriber.next_data())["notifications"] for _ in range(2)]
    assert {"__typename": "TierChanged", "previous": "Silver", "tier": "Gold", "up": True} in told
    registered = clock.now().isoformat()
    await api.data(
        "mutation($input: UpsertUserInput!) { upsertUser(input: $input) { errors { code } } }",
        api.service(),
        input={"userId": "mei", "registeredAt": registered},
    )
    gifts: list[dict[str, object]] = []
    while len(gifts) < 1:
        data = (await subscriber.next_data())["notifications"]
        if data["__typename"] == "GiftReceived":
            gifts.append(data)
    assert gifts == [{"__typename": "GiftReceived", "occasion": "welcome", "points": 100}]
    await subscriber.socket.close()
