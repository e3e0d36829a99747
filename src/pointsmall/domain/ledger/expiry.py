"""The expiry sweep: write down, for the books, the points the clock has already expired.

Balances never wait for this (see `balances`); the sweep turns expired remainders into
EXPIRE entries so history sums to the balance again, and tells the notifications who
lost what. It works on a batch of accounts per transaction with a fixed number of
set-based statements, whatever the batch holds:

1. pick the next `batch_size` accounts (by id, after the last batch's) that have expired
   lots with points left;
2. lock those account rows in id order, skipping any a spend in flight holds (the
   sweep never waits for users, nor they for it; the next run takes what it skipped);
3. insert one EXPIRE entry per account (returning their ids: every later statement finds
   its rows through primary keys and the lots' account index, never a scan), one
   allocation per lot, move the accounts' running totals, and zero the lots.

Safe to rerun (a swept lot has nothing left), safe while users spend (same row locks),
safe with several workers (the locks serialise them; the job lock usually keeps to one).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pointsmall import clock, sql
from pointsmall.domain import events
from pointsmall.domain.actors import SYSTEM, Actor
from pointsmall.domain.ledger.accounts import lock_accounts
from pointsmall.models import Counterparty, EntryKind

REASON = "points expired"


@dataclass(frozen=True)
class ExpiredPoints:
    account_id: int
    amount: int


@dataclass
class SweepReport:
    accounts: int = 0
    points: int = 0
    batches: int = 0


async def expire_due_points(*, batch_size: int = 500, actor: Actor = SYSTEM) -> SweepReport:
    """Expire everything due at the clock's now, batch after batch, until nothing is left."""
    report = SweepReport()
    after = 0
    while True:
        batch = await _expire_batch(batch_size, actor, after)
        if batch is None:
            return report
        after, expired = batch
        report.batches += 1
        report.accounts += len(expired)
        report.points += sum(item.amount for item in expired)


async def _expire_batch(
    batch_size: int, actor: Actor, after: int
) -> tuple[int, list[ExpiredPoints]] | None:
    """The batch of accounts after `after`: (the last account id looked at, what expired),
    or None when no account is left."""
    async with events.atomic():
        now = clock.now()
        due = await sql.fetch(
            'SELECT DISTINCT "account_id" FROM "points_lot" WHERE "remaining" > 0 '
            'AND "expires_at" <= $1 AND "account_id" > $2 ORDER BY "account_id" LIMIT $3',
            now,
            after,
            batch_size,
        )
        if not due:
            return None
        candidates = [int(row["account_id"]) for row in due]
        ids = [account.id for account in await lock_accounts(candidates, skip_locked=True)]
        if not ids:
            return candidates[-1], []
        among, among_params = sql.among('"account_id"', ids, 8)
        entries = await sql.fetch(
            'INSERT INTO "ledger_entry" ("account_id", "kind", "amount", "balance_after", '
            '"counterparty", "reference", "reason", "actor", "actor_role", "request_id", '
            '"created_at") '
            'SELECT a."id", $1, -due."total", a."ledger_balance" - due."total", $2, $3, $4, '
            '$5, $6, NULL, $7 FROM "account" a JOIN ('
            '  SELECT "account_id", SUM("remaining") AS "total" FROM "points_lot"'
            f'  WHERE "remaining" > 0 AND "expires_at" <= $7 AND {among} GROUP BY "account_id"'
            ') due ON due."account_id" = a."id" RETURNING "id", "account_id", "amount"',
            EntryKind.EXPIRE.value,
            Counterparty.EXPIRED.value,
            f"expiry:{uuid.uuid4().hex}",
            REASON,
            actor.user_id,
            actor.role,
            now,
            *among_params,
        )
        entry_ids = [int(row["id"]) for row in entries]
        new_entries, entry_params = sql.among('e."id"', entry_ids, 2)
        await sql.execute(
            'INSERT INTO "points_allocation" ("entry_id", "lot_id", "amount") '
            'SELECT e."id", l."id", -l."remaining" FROM "points_lot" l '
            'JOIN "ledger_entry" e ON e."account_id" = l."account_id" '
            f'WHERE l."remaining" > 0 AND l."expires_at" <= $1 AND {new_entries}',
            now,
            *entry_params,
        )
        await sql.execute(
            'UPDATE "account" SET "ledger_balance" = "ledger_balance" + e."amount", '
            '"updated_at" = $1 FROM "ledger_entry" e '
            f'WHERE e."account_id" = "account"."id" AND {new_entries}',
            now,
            *entry_params,
        )
        among, among_params = sql.among('"account_id"', ids, 2)
        await sql.execute(
            'UPDATE "points_lot" SET "remaining" = 0 WHERE "remaining" > 0 '
            f'AND "expires_at" <= $1 AND {among}',
            now,
            *among_params,
        )
        expired = [ExpiredPoints(int(row["account_id"]), -int(row["amount"])) for row in entries]
        for item in expired:
            events.after_commit(events.AccountChanged(item.account_id))
        return candidates[-1], expired
