"""The programme's figures: rollups agree with the ledger on random histories, whether
rebuilt or refreshed by the job, for days, weeks and months."""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain import figures
from pointsmall.domain.errors import InsufficientPoints, InvalidState
from pointsmall.domain.ledger import corrections, entries
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.domain.ledger.expiry_policy import RollingExpiry
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Counterparty, Entry, Order, ProgramRollup
from tests.api import Api
from tests.ledger.helpers import SERVICE, account

RULES = LedgerRules(expiry=RollingExpiry(days=20))
DAY = timedelta(days=1)


async def random_history(clock: MovableClock, seed: int) -> tuple[date, date]:
    rng = random.Random(seed)
    users = [await account(f"u{n}") for n in range(5)]
    start = clock.now().date()
    for step in range(80):
        clock.advance(timedelta(hours=rng.randint(1, 30)))
        user = rng.choice(users)
        roll = rng.random()
        reference = rng.choice(["order:1", "check-in:x", "share:3", "task:2", "gift:w", None])
        if roll < 0.55:
            earning = LedgerRequest(SERVICE, f"e{step}", "earn", reference)
            await entries.earn(user.id, rng.randint(1, 500), earning, RULES)
        elif roll < 0.85:
            with contextlib.suppress(InsufficientPoints):
                spending = LedgerRequest(SERVICE, f"s{step}", "spend")
                await entries.spend(user.id, rng.randint(1, 300), spending)
        elif roll < 0.95:
            await expire_due_points()
        else:
            with contextlib.suppress(InvalidState):  # nothing to forfeit
                await corrections.forfeit(user.id, LedgerRequest(SERVICE, f"f{step}", "penalty"))
    return start, clock.now().date()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_rollups_agree_with_the_ledger(db: str, clock: MovableClock, seed: int) -> None:
    since, until = await random_history(clock, seed)
    ledger = await Entry.all()
    for period in figures.PERIODS:
        await figures.rebuild(period)
        series = await figures.program_metrics(since, until, period)
        by = {
            "issued": Counterparty.ISSUED,
            "redeemed": Counterparty.REDEEMED,
            "expired": Counterparty.EXPIRED,
            "forfeited": Counterparty.FORFEITED,
        }
        for measure, counterparty in by.items():
            total = sum(e.amount for e in ledger if e.counterparty == counterparty)
            total = total if measure == "issued" else -total
            assert sum(getattr(p, measure) for p in series) == total, (period, measure)
        balances = sum(a.ledger_balance for a in await Account.all())
        assert series[-1].liability == balances, period
        earners: dict[date, set[int]] = defaultdict(set)
        for entry in ledger:
            if entry.kind == "EARN":
                earners[figures.period_start(period, entry.created_at.date())].add(entry.account_id)
        assert {p.starts_on: p.earners for p in series if p.earners} == {
            day: len(accounts) for day, accounts in earners.items()
        }, period
        by_source: dict[str, int] = defaultdict(int)
        for p in series:
            for source, points in p.issued_by_source.items():
                by_source[source] += points
        assert by_source.get("gift", 0) == sum(
            e.amount
            for e in ledger
            if e.counterparty == "ISSUED" and (e.reference or "").startswith("gift:")
        )
    assert await figures.reconcile() == []


async def test_the_job_s_refresh_equals_a_rebuild(db: str, clock: MovableClock) -> None:
    await random_history(clock, 7)
    for period in figures.PERIODS:
        await figures.rebuild(period)
    rebuilt = sorted(
        await ProgramRollup.all().values_list("period", "starts_on", "measure", "source", "value")
    )
    await figures.refresh(clock.now())
    refreshed = sorted(
        await ProgramRollup.all().values_list("period", "starts_on", "measure", "source", "value")
    )
    assert refreshed == rebuilt


async def test_program_metrics_for_admins(api: Api, clock: MovableClock) -> None:
    from tests.mall.helpers import grant

    await grant(api, "mei", 300)
    await figures.refresh(clock.now())
    today = clock.now().date().isoformat()
    found = await api.data(
        """query($since: Date!, $until: Date!) { programMetrics(since: $since, until: $until,
          interval: MONTH) { startsOn issued redeemed liability breakageRate earners
          redemptionConversion
          issuedBySource { source points } } }""",
        api.admin(),
        since=today,
        until=today,
    )
    [month] = found["programMetrics"]
    assert (month["issued"], month["liability"], month["earners"]) == (300, 300, 1)
    assert month["redemptionConversion"] == 0.0  # one earner, no redeemer
    assert month["issuedBySource"] == [{"source": "other", "points": 300}]
    from tests.engagement.helpers import record_order

    assert (await record_order(api, user="mei", paidAt=clock.now().isoformat()))["errors"] == []
    await figures.refresh(clock.now())
    broken_down = await api.data(
        """query($day: Date!) { programMetrics(since: $day, until: $day, interval: MONTH) {
          ...Sales } }
        fragment Sales on ProgramPeriod { byCategory { category sales } }""",
        api.admin(),
        day=today,
    )
    [month] = broken_down["programMetrics"]
    assert month["byCategory"] == [{"category": "electronics", "sales": 10_000}]
    assert (
        await api.error_code(
            '{ programMetrics(since: "2026-01-01", until: "2026-02-01") { issued } }',
            api.user("mei"),
        )
        == "FORBIDDEN"
    )


async def random_orders(api: Api, clock: MovableClock, seed: int) -> tuple[date, date]:
    """Orders over a few months (some refunded in part or in full), redemptions between."""
    from tests.engagement.helpers import REFUND_ORDER, record_order
    from tests.mall.helpers import create_item, grant, redeem

    rng = random.Random(seed)
    item = await create_item(api, title="Mug", pricePoints=50)
    users = [f"buyer{n}" for n in range(6)]
    start = clock.now().date()
    for step in range(45):
        clock.advance(timedelta(hours=rng.randint(10, 80)))
        user = rng.choice(users)
        roll = rng.random()
        if roll < 0.7:
            lines = [
                {
                    "sku": f"s{step}-{k}",
                    "category": rng.choice(["books", "food", "toys"]),
                    "amount": rng.randint(100, 5000),
                    "currency": "USD",
                }
                for k in range(rng.randint(1, 3))
            ]
            recorded = await record_order(
                api, order_id=f"o{step}", user=user, paidAt=clock.now().isoformat(), lines=lines
            )
            assert recorded["errors"] == [], recorded
            if rng.random() < 0.25:
                line = rng.choice(lines)
                refunded = await api.data(
                    REFUND_ORDER,
                    api.service(),
                    input={
                        "orderId": f"o{step}",
                        "refundId": f"r{step}",
                        "lines": [{"sku": line["sku"], "amount": line["amount"]}],
                    },
                )
                assert refunded["refundOrder"]["errors"] == [], refunded
        else:
            await grant(api, user, 50, key=f"g{step}")
            assert (await redeem(api, user, item["id"], f"r{step}"))["errors"] == []
    return start, clock.now().date()


@pytest.mark.parametrize("seed", [4, 5])
async def test_order_figures_agree_with_the_orders(
    api: Api, clock: MovableClock, seed: int
) -> None:
    """Average order values of point users and others, sales and points per category and
    next-month retention, from the rollups, equal the orders' and the ledger's own."""
    since, until = await random_orders(api, clock, seed)
    for period in figures.PERIODS:
        await figures.rebuild(period)
    series = {p.starts_on: p for p in await figures.program_metrics(since, until, "MONTH")}
    orders = await Order.all()
    ledger = await Entry.all()
    spent = defaultdict(list)
    for entry in ledger:
        if entry.counterparty == Counterparty.REDEEMED and entry.amount < 0:
            spent[entry.account_id].append(entry.created_at)
    sales: dict[tuple[date, str], list[int]] = defaultdict(list)
    categories: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for order in orders:
        if order.refunded_amount >= order.amount:
            continue
        month = figures.period_start("MONTH", order.paid_at.date())
        users = "points" if any(t <= order.paid_at for t in spent[order.account_id]) else "others"
        sales[month, users].append(order.amount - order.refunded_amount)
        for line in order.lines:
            totals = categories[month, line["category"]]
            totals[0] += line["amount"] - line["refunded_amount"]
            totals[1] += line["points"] - line["refunded_points"]
    assert any(users == "points" for _, users in sales)  # both kinds of buyer were seen
    for (month, users), values in sales.items():
        assert series[month].average_order_value(users) == pytest.approx(
            sum(values) / len(values)
        ), (month, users)
    for (month, category), (value, points) in categories.items():
        assert series[month].category_sales[category] == value
        assert series[month].category_points[category] == points
    accounts = await Account.all()
    for month, figures_of in series.items():
        after = figures.next_start("MONTH", month)
        ends = figures.next_start("MONTH", after)
        cohorts: dict[str, list[bool]] = defaultdict(list)
        for member in accounts:
            if member.created_at.date() >= after:
                continue
            earned = any(
                e.account_id == member.id
                and e.kind == "EARN"
                and month <= e.created_at.date() < after
                for e in ledger
            )
            came_back = any(
                o.account_id == member.id and after <= o.paid_at.date() < ends for o in orders
            )
            cohorts["earners" if earned else "others"].append(came_back)
        for users in ("earners", "others"):
            shown = figures_of.retention(users)
            kept = cohorts[users]
            assert shown == (sum(kept) / len(kept) if kept else None), (month, users)
    assert any(p.retention("earners") for p in series.values())  # some came back
    await figures.refresh(clock.now())  # the job's refresh leaves the same figures
    again = {p.starts_on: p for p in await figures.program_metrics(since, until, "MONTH")}
    assert again == series


async def test_an_order_in_the_last_minutes_of_a_month_counts_for_the_month_before(
    api: Api, clock: MovableClock
) -> None:
    """Retention of a month is decided by the month after it; the job's refresh at the
    start of the next month still counts an order paid after its last run of the month."""
    from tests.engagement.helpers import record_order

    clock.set(datetime(2027, 1, 10, 12, tzinfo=UTC))
    assert (await record_order(api, order_id="jan", paidAt=clock.now().isoformat()))["errors"] == []
    for period in figures.PERIODS:
        await figures.rebuild(period)
    clock.set(datetime(2027, 2, 28, 23, 52, tzinfo=UTC))
    await figures.refresh(clock.now())  # the job's last run in February
    clock.set(datetime(2027, 2, 28, 23, 58, tzinfo=UTC))
    assert (await record_order(api, order_id="feb", paidAt=clock.now().isoformat()))["errors"] == []
    clock.set(datetime(2027, 3, 1, 0, 5, tzinfo=UTC))
    await figures.refresh(clock.now())  # its first run in March
    [january] = await figures.program_metrics(date(2027, 1, 1), date(2027, 1, 1), "MONTH")
    assert january.retention("earners") == 1.0  # came back in February
