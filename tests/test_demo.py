"""`make run`'s demo looks like a product: pictures and words on every card, a history
that agrees with the redemptions it shows, an inbox of recent news, clean books."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pointsmall.demo import DEMO_USER, seed_demo
from pointsmall.domain import figures
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.runtime import Runtime
from pointsmall.schema.node import parse_global_id
from tests.api import Api

HOME = """{ mall { cards { kind items { title description imageUrls } } } }"""
HISTORY = """{ me {
  ledger(first: 100) { edges { node { kind amount reference createdAt } } }
  redemptions(first: 50) { edges { node { id status points item { title } } } }
  notifications(first: 100) { edges { node { createdAt read } } }
  points { balance pending expiringSoon(withinDays: 7) { amount } } } }"""


async def test_the_demo_looks_like_a_product(api: Api, runtime: Runtime) -> None:
    await seed_demo(runtime.rules, runtime.engagement, runtime.settings.public_url)
    token = api.user(DEMO_USER)

    cards = (await api.data(HOME, token))["mall"]["cards"]
    assert {card["kind"] for card in cards} == {"EXPIRING_SOON", "HOT", "FOR_YOU", "LIMITED", "NEW"}
    for item in (item for card in cards for item in card["items"]):
        assert item["description"], item["title"]
        [url] = item["imageUrls"]
        assert url.startswith(runtime.settings.public_url)
        picture = await api.http.get(url.removeprefix(runtime.settings.public_url))
        assert (picture.status_code, picture.headers["content-type"]) == (200, "image/svg+xml")

    me = (await api.data(HISTORY, token))["me"]
    entries = [edge["node"] for edge in me["ledger"]["edges"]]
    redemptions = {
        f"redemption:{parse_global_id(edge['node']['id'], 'id')[1]}": edge["node"]
        for edge in me["redemptions"]["edges"]
    }
    spends = [entry for entry in entries if entry["kind"] in ("SPEND", "CAPTURE")]
    assert len(spends) >= 3 and len(redemptions) >= 5
    for spend in spends:  # every spend is a redemption the user can see, at its price
        redemption = redemptions[spend["reference"]]
        assert -spend["amount"] == redemption["points"] or spend["kind"] == "CAPTURE"
    times = [datetime.fromisoformat(entry["createdAt"]) for entry in entries]
    assert times == sorted(times, reverse=True)
    assert datetime.now(UTC) - min(times) < timedelta(weeks=11)  # recent weeks, not a year
    unread = [
        datetime.fromisoformat(edge["node"]["createdAt"])
        for edge in me["notifications"]["edges"]
        if not edge["node"]["read"]
    ]
    assert 0 < len(unread) < 30
    assert all(datetime.now(UTC) - moment < timedelta(days=4) for moment in unread)
    points = me["points"]
    assert points["balance"] > 0 and points["pending"] > 0 and points["expiringSoon"]
    assert (await audit_ledger()).clean

    # The ops console's view: a year of figures, what waits for review, every campaign state.
    await figures.refresh(datetime.now(UTC))
    today = datetime.now(UTC).date()
    ops = await api.data(
        """query($since: Date!, $until: Date!) {
          programMetrics(since: $since, until: $until, interval: MONTH) { issued expired }
          riskCases { rule }
          redemptions(status: PENDING_REVIEW) { edges { node { userId } } }
          campaigns { status } }""",
        api.admin(),
        since=(today - timedelta(days=365)).isoformat(),
        until=today.isoformat(),
    )
    months = ops["programMetrics"]
    assert len(months) == 13 and all(month["issued"] > 0 for month in months)
    assert sum(month["expired"] for month in months) > 0
    assert {case["rule"] for case in ops["riskCases"]} == {
        "DEVICE_CHECK_IN_ACCOUNTS",
        "NEW_ACCOUNT_HIGH_VALUE",
    }
    assert len(ops["redemptions"]["edges"]) == 2
    assert {campaign["status"] for campaign in ops["campaigns"]} == {
        "DRAFT",
        "SCHEDULED",
        "PREHEAT",
        "LIVE",
        "PAUSED",
        "SETTLED",
        "CANCELLED",
    }
