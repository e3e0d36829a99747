"""`pointsmall audit` recomputes every account from history and exits non-zero on drift."""

from __future__ import annotations

import os
import subprocess
import sys

from pointsmall.clock import MovableClock
from pointsmall.domain.ledger import audit, entries
from pointsmall.models import Account, Lot
from tests.ledger.helpers import RULES, account, request


def run_audit(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pointsmall.cli", "audit"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
    )


async def test_audit_is_clean_then_finds_tampering(
    db: str, database_url: str, clock: MovableClock
) -> None:
    user = await account()
    await entries.earn(user.id, 100, request("e"), RULES)
    await entries.spend(user.id, 30, request("s"))
    clean = run_audit(database_url)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "clean" in clean.stdout and "issued" in clean.stdout

    await Lot.filter(account_id=user.id).update(remaining=90)  # points from nowhere
    await Account.filter(id=user.id).update(held=5)
    report = await audit.audit_ledger()
    checks = {drift.check for drift in report.drift}
    assert "lot remaining differs from the sum of its allocations" in checks
    assert "account total differs from the points left in its lots" in checks
    assert "account held differs from its open holds" in checks
    dirty = run_audit(database_url)
    assert dirty.returncode == 1
    assert "DRIFT" in dirty.stdout
