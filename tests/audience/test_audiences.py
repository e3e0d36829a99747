"""Audiences: a rule decided for one user agrees with the set-based query over everyone (a
property test over random users and random rules); previews, checks and who may use them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain.audience import audiences, rules
from pointsmall.domain.audience.tier_rules import TierRules
from pointsmall.domain.errors import InvalidValue
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Order, RfmSegment, Segment
from tests.api import Api
from tests.audience.helpers import CREATE_AUDIENCE, PREVIEW, create_audience
from tests.engagement.helpers import UPSERT

LEDGER = LedgerRules()
DAY = timedelta(days=1)
TAGS = ["gamer", "tea", "runner"]
ZONES = ["Asia/Shanghai", "Europe/Berlin", None]
WINDOWS = [7, 30, 90]
SCORES = ["recency", "frequency", "monetary"]
VALUES = ["paris", "lyon", "cat"]


async def random_population(now: datetime, rng: random.Random, size: int) -> list[Account]:
    accounts = []
    for number in range(size):
        rfm = rng.random() < 0.7
        account = await Account.create(
            user_id=f"u-{number}",
            tags=rng.sample(TAGS, rng.randint(0, 2)),
            timezone=rng.choice(ZONES),
            registered_at=now - rng.randint(0, 60) * DAY if rng.random() < 0.8 else None,
            segment=rng.choice(list(Segment)),
            rfm_recency=rng.randint(1, 5) if rfm else None,
            rfm_frequency=rng.randint(1, 5) if rfm else None,
            rfm_monetary=rng.randint(1, 5) if rfm else None,
            rfm_segment=rng.choice(list(RfmSegment)) if rfm else None,
            tier_level=rng.randint(0, 2),
            ledger_balance=rng.randint(0, 3_000),
            held=rng.choice([0, 0, 200]),
            attributes=rng.choice([{}, {"city": "paris"}, {"city": "lyon", "pet": "cat"}]),
            created_at=now - rng.randint(0, 90) * DAY,
            updated_at=now,
        )
        for order in range(rng.randint(0, 4)):
            amount = rng.randint(1, 30) * 1_000
            await Order.create(
                order_id=f"o-{number}-{order}",
                account_id=account.id,
                paid_at=now
                - rng.randint(0, 100) * DAY
                - rng.randint(0, 3_600) * timedelta(seconds=1),
                currency="USD",
                amount=amount,
                refunded_amount=rng.choice([0, 0, 0, amount, amount // 2]),
                points=0,
                lines=[],
                request_fingerprint="f",
                created_at=now,
            )
        accounts.append(account)
    return accounts


def random_condition(rng: random.Random) -> dict[str, Any]:
    low = rng.randint(1, 5)
    return rng.choice(
        [
            {"tag": rng.choice(TAGS)},
            {"segment": rng.sample([s.value for s in Segment], rng.randint(1, 3))},
            {"rfmSegment": rng.sample([s.value for s in RfmSegment], rng.randint(1, 3))},
            {"rfmScore": {rng.choice(SCORES): {"min": low, "max": rng.randint(low, 5)}}},
            {"tierAtLeast": rng.choice(["Silver", "Gold", "Platinum"])},
            {"registeredWithinDays": rng.randint(1, 60)},
            {"paidOrders": {"atLeast": rng.randint(1, 3), "withinDays": rng.choice(WINDOWS)}},
            {"spent": {"atLeast": rng.randint(1, 40) * 1_000, "withinDays": rng.choice(WINDOWS)}},
            {"balanceAtLeast": rng.randint(1, 3_000)},
            {"timeZone": rng.sample(["Asia/Shanghai", "Europe/Berlin", "UTC"], rng.randint(1, 2))},
            {"attribute": {"name": rng.choice(["city", "pet"]), "value": rng.choice(VALUES)}},
        ]
    )  # fmt: skip


def random_rule(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    if depth >= 3 or rng.random() < 0.4:
        return random_condition(rng)
    kind = rng.choice(["all", "any", "not"])
    if kind == "not":
        return {"not": random_rule(rng, depth + 1)}
    return {kind: [random_rule(rng, depth + 1) for _ in range(rng.randint(1, 3))]}


async def test_one_user_and_everyone_at_once_agree(db: str, clock: MovableClock) -> None:
    """For random users and rules: the users the set-based query returns are exactly those
    for whom the one-user evaluation holds."""
    rng = random.Random(20261203)
    now = clock.now()
    population = await random_population(now, rng, 40)
    facts = {}
    for account in population:  # the one-user path: one statement per user
        facts.update(await rules.facts_of([account], set(WINDOWS), now))
    for _ in range(200):
        rule = rules.checked_rule(random_rule(rng), LEDGER.tiers)
        expected = {
            account.id
            for account in population
            if rules.holds(rule, facts[account.id], now, LEDGER.tiers, LEDGER.zone.key)
        }
        assert await audiences.member_ids(rule, now, LEDGER) == expected, rule


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ({}, "exactly one"),
        ({"tag": "a", "segment": ["NEW"]}, "exactly one"),
        ({"all": []}, "at least one"),
        ({"segment": ["SLEEPY"]}, "list some of"),
        ({"tierAtLeast": "Diamond"}, "one of Silver, Gold, Platinum"),
        ({"paidOrders": {"atLeast": 0, "withinDays": 30}}, "from 1"),
        ({"spent": {"atLeast": 100, "withinDays": 0}}, "number of days"),
        ({"rfmScore": {"recency": {"min": 4, "max": 2}}}, "min <= max"),
        ({"attribute": {"name": "City!", "value": "x"}}, "a name such as city"),
        ({"not": {"not": {"not": {"not": {"not": {"not": {"tag": "a"}}}}}}}, "nests at most"),
    ],
)
def test_a_bad_rule_says_what_is_wrong(rule: dict[str, Any], why: str) -> None:
    with pytest.raises(InvalidValue, match=why):
        rules.checked_rule(rule, TierRules())


async def test_ops_preview_save_and_change_an_audience(api: Api, clock: MovableClock) -> None:
    for user, tags in (("mei", ["tea"]), ("kai", ["tea", "gamer"]), ("bob", ["gamer"])):
        await api.data(UPSERT, api.service(), input={"userId": user, "tags": tags})
    rule = {"all": [{"tag": "tea"}, {"not": {"tag": "gamer"}}]}
    preview = (await api.data(PREVIEW, api.admin(), rule=rule))["audiencePreview"]
    assert preview == {"size": 1, "sample": [{"userId": "mei"}]}

    audience_id = await create_audience(api, "Tea, no games", rule)
    duplicate = await api.data(
        CREATE_AUDIENCE, api.admin(), input={"name": "Tea, no games", "rule": {"tag": "tea"}}
    )
    assert duplicate["createAudience"]["errors"][0]["field"] == ["input", "name"]
    bad = await api.data(
        CREATE_AUDIENCE, api.admin(), input={"name": "Odd", "rule": {"tierAtLeast": "Diamond"}}
    )
    assert bad["createAudience"]["errors"][0]["code"] == "INVALID_VALUE"
    changed = await api.data(
        """mutation($input: UpdateAudienceInput!) { updateAudience(input: $input) {
          audience { name rule } errors { code } } }""",
        api.admin(),
        input={"id": audience_id, "rule": {"any": [{"tag": "tea"}, {"tag": "gamer"}]}},
    )
    assert changed["updateAudience"]["audience"] == {
        "name": "Tea, no games",
        "rule": {"any": [{"tag": "tea"}, {"tag": "gamer"}]},
    }
    listed = await api.data("{ audiences { name } }", api.admin())
    assert listed["audiences"] == [{"name": "Tea, no games"}]
    assert {"Odd"} & {row["name"] for row in listed["audiences"]} == set()


async def test_audiences_are_for_admins(api: Api) -> None:
    assert await api.error_code(PREVIEW, api.user("mei"), rule={"tag": "tea"}) == "FORBIDDEN"
    assert await api.error_code("{ audiences { name } }", api.service()) == "FORBIDDEN"


async def test_a_rule_input_takes_exactly_one_part(api: Api) -> None:
    body = await api.post(PREVIEW, api.admin(), rule={"tag": "tea", "balanceAtLeast": 5})
    assert "exactly one" in body["errors"][0]["message"].lower()
