"""The programme's figures: rollups agree with the ledger on random histories, whether
rebuilt or refreshed by the job, for days, weeks and months."""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from pointsmall.clock import MovableClock
from pointsmall.domain import figures
from pointsmall.domain.errors import InsufficientPoints, InvalidState
from pointsmall.domain.ledger import corrections, entries
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.expiry import expire_due_points
from pointsmall.domain.ledger.expiry_policy import RollingExpiry
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Counterparty, Entry, ProgramRollup
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
    assert (
        await api.error_code(
            '{ programMetrics(since: "2026-01-01", until: "2026-02-01") { issued } }',
            api.user("mei"),
        )
        == "FORBIDDEN"
    )
