"""Risk control: each rule fires at its threshold and not below, per action; cases decided
release or forfeit balance the books; bans end on time."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from pointsmall.clock import MovableClock
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.models import Entry, EntryKind, RiskCase, Share
from tests.api import Api
from tests.campaigns.helpers import JOIN, act, create_campaign
from tests.engagement.helpers import CHECK_IN, record_order
from tests.mall.helpers import ADDRESS, create_item, grant, redeem

CASES = """{ riskCases { id rule ruleVersion subject status action users detail } }"""
RESOLVE = """mutation($input: ResolveRiskCaseInput!) { resolveRiskCase(input: $input) {
  case { status decision note decidedBy } errors { code message } } }"""
BAN = """mutation($input: BanUserInput!) { banUser(input: $input) {
  ban { id scopes until } errors { code message field } } }"""
RULE = """mutation($input: UpdateRiskRuleInput!) { updateRiskRule(input: $input) {
  rule { code threshold action version } errors { code message } } }"""
POINTS = "{ me { points { balance pending } } }"
SHARE = """mutation($input: ShareInput!) { share(input: $input) {
  share { rewardPoints } errors { code message } } }"""


async def check_in_from(api: Api, user: str, device: str, key: str = "c-1") -> dict[str, Any]:
    response = await api.http.post(
        "/graphql",
        json={"query": CHECK_IN, "variables": {"key": key}},
        headers={"authorization": f"Bearer {api.user(user)}", "x-device-id": device},
    )
    body: dict[str, Any] = response.json()
    return body


async def cases(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await api.data(CASES, api.admin()))["riskCases"]
    return found


async def test_twenty_accounts_on_one_device_raise_one_case(api: Api, clock: MovableClock) -> None:
    for number in range(19):
        await check_in_from(api, f"farm-{number:02d}", "phone-1")
    await check_in_from(api, "someone", "phone-2")
    assert await cases(api) == []  # 19: below the threshold
    await check_in_from(api, "farm-19", "phone-1")
    [case] = await cases(api)
    assert (case["rule"], case["action"], case["status"]) == (
        "DEVICE_CHECK_IN_ACCOUNTS",
        "FLAG",
        "OPEN",
    )
    assert len(case["users"]) == 20 and "someone" not in case["users"]
    assert case["detail"] == "20 check ins from one device within a day"
    assert case["subject"].startswith("device:") and "phone-1" not in case["subject"]
    await check_in_from(api, "farm-20", "phone-1")
    [case] = await cases(api)  # still one case, one more user
    assert len(case["users"]) == 21
    stored = await RiskCase.get()
    assert "phone-1" not in stored.subject  # only a keyed hash is kept


async def spike_rule(api: Api, action: str = "HOLD") -> None:
    """The hourly velocity rule at 15 points: a check-in (10) stays under, a share on top
    (10 more) reaches it."""
    changed = await api.data(
        RULE,
        api.admin(),
        input={"code": "EARNING_VELOCITY_HOUR", "threshold": 15, "action": action},
    )
    assert changed["updateRiskRule"]["rule"]["version"] == 1


async def share_an_item(api: Api, user: str, item_id: str) -> dict[str, Any]:
    result = await api.data(
        SHARE, api.user(user), input={"target": "ITEM", "targetId": item_id, "idempotencyKey": "s"}
    )
    shared: dict[str, Any] = result["share"]
    return shared


async def test_an_earning_spike_holds_its_points_until_decided(
    api: Api, clock: MovableClock
) -> None:
    await spike_rule(api)
    item = await create_item(api, title="Mug")
    await grant(api, "mei", 4_000)  # the shop's grants are no farming: not counted
    await api.data(CHECK_IN, api.user("mei"), key="c-1")  # 10: below
    assert await cases(api) == []
    await share_an_item(api, "mei", item["id"])  # 20 in the hour: held
    assert (await api.data(POINTS, api.user("mei")))["me"]["points"] == {
        "balance": 4_010,
        "pending": 10,
    }
    [case] = await cases(api)
    assert (case["rule"], case["action"], case["users"]) == (
        "EARNING_VELOCITY_HOUR",
        "HOLD",
        ["mei"],
    )
    assert case["ruleVersion"] == 1
    done = await api.data(
        RESOLVE,
        api.admin(),
        input={"caseId": case["id"], "decision": "RELEASE", "note": "a real user"},
    )
    assert done["resolveRiskCase"]["case"]["decision"] == "RELEASE"
    assert (await api.data(POINTS, api.user("mei")))["me"]["points"] == {
        "balance": 4_020,
        "pending": 0,
    }

    await api.data(CHECK_IN, api.user("kai"), key="c-1")
    await share_an_item(api, "kai", item["id"])
    [_, case] = await cases_all(api)
    forfeited = await api.data(
        RESOLVE, api.admin(), input={"caseId": case["id"], "decision": "FORFEIT", "note": "farmed"}
    )
    assert forfeited["resolveRiskCase"]["errors"] == []
    assert (await api.data(POINTS, api.user("kai")))["me"]["points"] == {
        "balance": 10,
        "pending": 0,
    }
    assert await Entry.filter(account__user_id="kai", kind=EntryKind.FORFEIT, amount=-10).exists()
    again = await api.data(
        RESOLVE, api.admin(), input={"caseId": case["id"], "decision": "RELEASE", "note": "oops"}
    )
    assert again["resolveRiskCase"]["errors"][0]["code"] == "INVALID_STATE"
    assert (await audit_ledger()).clean


async def cases_all(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        await api.data("{ riskCases(status: null) { id rule status users } }", api.admin())
    )["riskCases"]
    return found


async def test_a_banned_user_cannot_earn_redeem_or_join_until_the_ban_ends(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "mei", 500)
    item = await create_item(api, title="Mug", pricePoints=100)
    start = clock.now()
    campaign = await create_campaign(api, start, start + timedelta(days=30), enrolment="REQUIRED")
    await act(api, "publish", campaign["id"])
    until = clock.now() + timedelta(days=7)
    banned = await api.data(
        BAN,
        api.admin(),
        input={"userId": "mei", "scopes": ["EARN", "REDEEM", "JOIN"], "until": until.isoformat(),
               "reason": "farming"},
    )  # fmt: skip
    assert banned["banUser"]["errors"] == []

    await record_order(api, paidAt=clock.now().isoformat())
    assert (await api.data(POINTS, api.user("mei")))["me"]["points"] == {
        "balance": 500,
        "pending": 0,
    }
    refused = await Entry.filter(account__user_id="mei", kind=EntryKind.FORFEIT).get()
    assert refused.amount == -100 and "banned" in (refused.reason or "")  # recorded, refused
    refusal = await redeem(api, "mei", item["id"], "r-1")
    assert [error["code"] for error in refusal["errors"]] == ["RISK_REFUSED"]
    assert "ban" not in refusal["errors"][0]["message"]  # says nothing of why
    joined = await api.data(JOIN, api.user("mei"), input={"campaignId": campaign["id"]})
    assert [error["code"] for error in joined["joinCampaign"]["errors"]] == ["RISK_REFUSED"]

    clock.set(until)  # over
    await record_order(api, order_id="o-2", paidAt=clock.now().isoformat())
    assert (await api.data(POINTS, api.user("mei")))["me"]["points"]["pending"] == 100
    assert (await redeem(api, "mei", item["id"], "r-2"))["errors"] == []
    joined = await api.data(JOIN, api.user("mei"), input={"campaignId": campaign["id"]})
    assert joined["joinCampaign"]["errors"] == []
    assert (await audit_ledger()).clean


async def test_ops_change_a_rule_at_run_time(api: Api, clock: MovableClock) -> None:
    await spike_rule(api, action="REFUSE")
    item = await create_item(api, title="Mug")
    await api.data(CHECK_IN, api.user("mei"), key="c-1")
    refused = await share_an_item(api, "mei", item["id"])
    assert [error["code"] for error in refused["errors"]] == ["RISK_REFUSED"]
    assert (await api.data(POINTS, api.user("mei")))["me"]["points"]["balance"] == 10
    rules = await api.data("{ riskRules { code threshold action version } }", api.admin())
    hourly = next(r for r in rules["riskRules"] if r["code"] == "EARNING_VELOCITY_HOUR")
    assert hourly == {
        "code": "EARNING_VELOCITY_HOUR",
        "threshold": 15,
        "action": "REFUSE",
        "version": 1,
    }
    bad = await api.data(
        RULE, api.admin(), input={"code": "DEVICE_CHECK_IN_ACCOUNTS", "action": "HOLD"}
    )
    assert bad["updateRiskRule"]["errors"][0]["code"] == "INVALID_VALUE"


async def test_a_burst_of_refused_redemptions_is_refused(api: Api, clock: MovableClock) -> None:
    item = await create_item(api, title="Dear", pricePoints=1_000)
    for attempt in range(10):
        refused = await redeem(api, "mei", item["id"], f"r-{attempt}")
        assert refused["errors"][0]["code"] == "INSUFFICIENT_POINTS"
    assert (await redeem(api, "mei", item["id"], "r-10"))["errors"][0]["code"] == "RISK_REFUSED"
    clock.advance(timedelta(minutes=11))
    assert (await redeem(api, "mei", item["id"], "r-11"))["errors"][0][
        "code"
    ] == "INSUFFICIENT_POINTS"


@pytest.mark.postgres
async def test_one_case_when_a_device_s_accounts_check_in_at_once(
    api: Api, clock: MovableClock
) -> None:
    import asyncio

    await asyncio.gather(*(check_in_from(api, f"farm-{n:02d}", "phone-9") for n in range(40)))
    [case] = await cases(api)
    assert len(case["users"]) >= 20


async def set_threshold(api: Api, code: str, threshold: int) -> None:
    changed = await api.data(RULE, api.admin(), input={"code": code, "threshold": threshold})
    assert changed["updateRiskRule"]["errors"] == []


async def test_share_opens_from_one_device_raise_a_case_at_the_threshold(
    api: Api, clock: MovableClock
) -> None:
    await set_threshold(api, "SHARE_OPENS_ONE_DEVICE", 3)
    item = await create_item(api, title="Mug")
    links = [(await share_an_item(api, f"sharer{n}", item["id"])) for n in range(3)]
    assert all(link["share"]["rewardPoints"] == 10 for link in links)

    for number, share in enumerate(await Share.all().order_by("id")):
        response = await api.http.post(
            "/graphql",
            json={
                "query": "mutation($t: String!) { openShare(input: {token: $t}) { rewarded } }",
                "variables": {"t": share.token},
            },
            headers={"authorization": f"Bearer {api.user('opener')}", "x-device-id": "tablet"},
        )
        assert response.json()["data"]["openShare"]["rewarded"] is True
        found = [case for case in await cases(api) if case["rule"] == "SHARE_OPENS_ONE_DEVICE"]
        assert len(found) == (1 if number == 2 else 0)  # the third open: at the threshold


async def test_many_redemptions_to_one_address_raise_a_case(api: Api, clock: MovableClock) -> None:
    await set_threshold(api, "REDEMPTIONS_ONE_ADDRESS", 2)
    item = await create_item(api, kind="PHYSICAL", title="Lamp", pricePoints=10, virtualRight=None)
    for user, line in (("ana", "88 Garden Road"), ("bo", "88  GARDEN road")):
        await grant(api, user, 100)
        made = await redeem(
            api, user, item["id"], "r-1", shippingAddress={**ADDRESS, "line1": line}
        )
        assert made["errors"] == []
    [case] = await cases(api)
    assert (case["rule"], sorted(case["users"])) == ("REDEMPTIONS_ONE_ADDRESS", ["ana", "bo"])
    assert "Garden" not in case["subject"]  # a keyed hash, cut


async def test_a_new_account_redeeming_a_high_value_item_is_flagged(
    api: Api, clock: MovableClock
) -> None:
    item = await create_item(api, title="Watch", pricePoints=10, highValue=True)
    await grant(api, "old", 100)
    clock.advance(timedelta(days=7))  # "old" is 7 days old now: not new
    await grant(api, "new", 100)
    assert (await redeem(api, "old", item["id"], "r-1"))["errors"] == []
    assert await cases(api) == []
    assert (await redeem(api, "new", item["id"], "r-1"))["errors"] == []
    [case] = await cases(api)
    assert (case["rule"], case["users"]) == ("NEW_ACCOUNT_HIGH_VALUE", ["new"])


LIST = """mutation($input: BlacklistInput!) { blacklist(input: $input) {
  listing { kind subject until } errors { code message field } } }"""


async def test_blacklisted_users_devices_and_addresses_are_refused_until_the_end(
    api: Api, clock: MovableClock
) -> None:
    until = (clock.now() + timedelta(days=2)).isoformat()
    await grant(api, "cheat", 100)
    for listing in (
        {"kind": "DEVICE", "value": "phone-7"},
        {"kind": "ADDRESS", "address": {**ADDRESS, "city": "HANGZHOU"}},
        {"kind": "USER", "value": "cheat"},
    ):
        done = await api.data(
            LIST, api.admin(), input={**listing, "until": until, "reason": "fraud"}
        )
        assert done["blacklist"]["errors"] == [], done
        assert "phone-7" not in done["blacklist"]["listing"]["subject"]
    refused = await check_in_from(api, "mei", "phone-7")
    assert refused["data"]["checkIn"]["errors"][0]["code"] == "RISK_REFUSED"
    assert (await check_in_from(api, "mei", "phone-8"))["data"]["checkIn"]["errors"] == []
    item = await create_item(api, kind="PHYSICAL", title="Lamp", pricePoints=10, virtualRight=None)
    await grant(api, "mei", 100)
    shipped = await redeem(api, "mei", item["id"], "r-1", shippingAddress=ADDRESS)  # same address
    assert [error["code"] for error in shipped["errors"]] == ["RISK_REFUSED"]
    cheat = await redeem(
        api, "cheat", item["id"], "r-1", shippingAddress={**ADDRESS, "line1": "1 Other Rd"}
    )
    assert [error["code"] for error in cheat["errors"]] == ["RISK_REFUSED"]
    clock.advance(timedelta(days=2))  # over
    assert (await check_in_from(api, "mei", "phone-7", key="c-2"))["data"]["checkIn"][
        "errors"
    ] == []
    assert (await redeem(api, "mei", item["id"], "r-2", shippingAddress=ADDRESS))["errors"] == []


async def test_share_opens_from_one_network_address_raise_a_case(
    api: Api, clock: MovableClock
) -> None:
    await set_threshold(api, "SHARE_OPENS_ONE_CLIENT", 2)
    item = await create_item(api, title="Mug")
    for number in range(2):
        await share_an_item(api, f"sharer{number}", item["id"])
    for share in await Share.all().order_by("id"):  # no device sent: the address alone
        opened = await api.data(
            "mutation($t: String!) { openShare(input: {token: $t}) { rewarded } }",
            api.user("opener"),
            t=share.token,
        )
        assert opened["openShare"]["rewarded"] is True
    [case] = await cases(api)
    assert (case["rule"], case["users"]) == ("SHARE_OPENS_ONE_CLIENT", ["opener"])
    assert case["subject"].startswith("client:ip:")


async def test_a_case_shows_where_its_users_acted_from(
    api: Api, clock: MovableClock, live_server: str
) -> None:
    """Check-ins, the user's own earnings, redemptions and app sessions keep their device
    and network address (keyed hashes): what ops read when they investigate a case."""
    await set_threshold(api, "DEVICE_CHECK_IN_ACCOUNTS", 2)
    item = await create_item(api, title="Mug", pricePoints=5)
    await grant(api, "alice", 100)  # the shop's grant: not the user's own action
    async with connect(
        f"ws://{live_server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as socket:
        init = {"authorization": f"Bearer {api.user('alice')}", "deviceId": "phone-1"}
        await socket.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
    clock.advance(timedelta(minutes=1))
    await check_in_from(api, "alice", "phone-1")
    clock.advance(timedelta(minutes=1))
    redeemed = await api.http.post(
        "/graphql",
        json={
            "query": "mutation($input: RedeemInput!) { redeem(input: $input) { errors { code } } }",
            "variables": {"input": {"itemId": item["id"], "idempotencyKey": "r-1"}},
        },
        headers={"authorization": f"Bearer {api.user('alice')}", "x-device-id": "phone-1"},
    )
    assert redeemed.json()["data"]["redeem"]["errors"] == []
    await check_in_from(api, "bob", "phone-1")
    [case] = await cases(api)
    shown = await api.data(
        "query($id: ID!) { riskCase(id: $id) { signals { user action source } } }",
        api.admin(),
        id=case["id"],
    )
    alice = [
        (signal["action"], signal["source"].split(":")[0])
        for signal in shown["riskCase"]["signals"]
        if signal["user"] == "alice"
    ]
    assert sorted(alice) == sorted(
        [
            (action, source)
            for action in ("SESSION", "CHECK_IN", "EARN", "REDEEM")
            for source in ("device", "network")
        ]
    )
    assert all("phone-1" not in signal["source"] for signal in shown["riskCase"]["signals"])
    [bobs] = {s["user"] for s in shown["riskCase"]["signals"]} - {"alice"}
    assert bobs == "bob"
    for first in (0, 201):
        refused = await api.error_code(
            "query($id: ID!, $n: Int!) { riskCase(id: $id) { signals(first: $n) { at } } }",
            api.admin(),
            id=case["id"],
            n=first,
        )
        assert refused == "BAD_USER_INPUT"


async def test_first_orders_of_many_accounts_from_one_device_raise_a_case(
    api: Api, clock: MovableClock
) -> None:
    """The shop tells the device an order came from; five accounts' first orders from one
    device (the first-order bonus farmed) raise a case, four do not, second orders and
    other devices do not count."""
    for number in range(4):
        placed = await record_order(
            api, order_id=f"o-{number}", user=f"new-{number}", deviceId="farm-phone"
        )
        assert placed["errors"] == []
    await record_order(api, order_id="o-again", user="new-0", deviceId="farm-phone")
    await record_order(api, order_id="o-other", user="elsewhere", deviceId="own-phone")
    assert await cases(api) == []
    await record_order(api, order_id="o-4", user="new-4", deviceId="farm-phone")
    [case] = await cases(api)
    assert case["rule"] == "DEVICE_FIRST_ORDER_ACCOUNTS"
    assert case["users"] == [f"new-{number}" for number in range(5)]
    assert case["detail"] == "5 first orders from one device within 30 days"
    assert "farm-phone" not in case["subject"]
