"""Recompute every account from its history and report any drift, plus the programme's books.

Each check is one set-based query over the whole ledger; a healthy ledger returns no rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pointsmall import sql

CHECKS: dict[str, str] = {
    "account total differs from the sum of its entries": """
        SELECT a."user_id" AS subject, a."ledger_balance" AS recorded,
               COALESCE(SUM(e."amount"), 0) AS recomputed
        FROM "account" a LEFT JOIN "ledger_entry" e ON e."account_id" = a."id"
        GROUP BY a."id", a."user_id", a."ledger_balance"
        HAVING a."ledger_balance" <> COALESCE(SUM(e."amount"), 0)""",
    "account total differs from the points left in its lots": """
        SELECT a."user_id" AS subject, a."ledger_balance" AS recorded,
               COALESCE(SUM(l."remaining"), 0) AS recomputed
        FROM "account" a LEFT JOIN "points_lot" l ON l."account_id" = a."id"
        GROUP BY a."id", a."user_id", a."ledger_balance"
        HAVING a."ledger_balance" <> COALESCE(SUM(l."remaining"), 0)""",
    "account held differs from its open holds": """
        SELECT a."user_id" AS subject, a."held" AS recorded,
               COALESCE(SUM(h."amount"), 0) AS recomputed
        FROM "account" a LEFT JOIN "points_hold" h
          ON h."account_id" = a."id" AND h."status" = 'HELD'
        GROUP BY a."id", a."user_id", a."held"
        HAVING a."held" <> COALESCE(SUM(h."amount"), 0)""",
    "account debt differs from its entries' debt changes": """
        SELECT a."user_id" AS subject, a."debt" AS recorded,
               COALESCE(SUM(e."debt_change"), 0) AS recomputed
        FROM "account" a LEFT JOIN "ledger_entry" e ON e."account_id" = a."id"
        GROUP BY a."id", a."user_id", a."debt"
        HAVING a."debt" <> COALESCE(SUM(e."debt_change"), 0) OR a."debt" < 0""",
    "lot remaining differs from the sum of its allocations": """
        SELECT l."id" AS subject, l."remaining" AS recorded,
               COALESCE(SUM(al."amount"), 0) AS recomputed
        FROM "points_lot" l LEFT JOIN "points_allocation" al ON al."lot_id" = l."id"
        GROUP BY l."id", l."remaining"
        HAVING l."remaining" <> COALESCE(SUM(al."amount"), 0)""",
    "lot remaining outside 0..amount": """
        SELECT "id" AS subject, "remaining" AS recorded, "amount" AS recomputed
        FROM "points_lot" WHERE "remaining" < 0 OR "remaining" > "amount" """,
    "entry amount differs from the sum of its allocations": """
        SELECT e."id" AS subject, e."amount" AS recorded,
               COALESCE(SUM(al."amount"), 0) AS recomputed
        FROM "ledger_entry" e LEFT JOIN "points_allocation" al ON al."entry_id" = e."id"
        GROUP BY e."id", e."amount"
        HAVING e."amount" <> COALESCE(SUM(al."amount"), 0)""",
    "entry balance_after differs from the running total": """
        SELECT subject, recorded, recomputed FROM (
          SELECT "id" AS subject, "balance_after" AS recorded,
                 SUM("amount") OVER (PARTITION BY "account_id" ORDER BY "id") AS recomputed
          FROM "ledger_entry") running
        WHERE recorded <> recomputed""",
    "points spent or held from a pending or expired lot": """
        SELECT e."id" AS subject, al."lot_id" AS recorded, al."amount" AS recomputed
        FROM "points_allocation" al
        JOIN "ledger_entry" e ON e."id" = al."entry_id"
        JOIN "points_lot" l ON l."id" = al."lot_id"
        WHERE e."kind" IN ('SPEND', 'HOLD') AND al."amount" < 0
          AND (e."created_at" < l."available_at" OR e."created_at" >= l."expires_at")""",
    "points expired before their lot's expiry": """
        SELECT e."id" AS subject, al."lot_id" AS recorded, al."amount" AS recomputed
        FROM "points_allocation" al
        JOIN "ledger_entry" e ON e."id" = al."entry_id"
        JOIN "points_lot" l ON l."id" = al."lot_id"
        WHERE e."kind" = 'EXPIRE' AND e."created_at" < l."expires_at" """,
}

BOOKS = """
    SELECT
      COALESCE(SUM(CASE WHEN "counterparty" = 'ISSUED' THEN "amount" END), 0) AS issued,
      COALESCE(SUM(CASE WHEN "counterparty" = 'ADJUSTED' THEN "amount" END), 0) AS adjusted,
      COALESCE(-SUM(CASE WHEN "kind" = 'SPEND'
                          OR ("kind" = 'REVERSAL' AND "counterparty" = 'REDEEMED')
                         THEN "amount" END), 0) AS spent,
      COALESCE(-SUM(CASE WHEN "kind" = 'EXPIRE' THEN "amount" END), 0) AS expired,
      COALESCE(-SUM(CASE WHEN "counterparty" = 'FORFEITED' THEN "amount" END), 0) AS forfeited
    FROM "ledger_entry" """

HOLDS = """
    SELECT COALESCE(SUM(CASE WHEN "status" = 'CAPTURED' THEN "amount" END), 0) AS captured,
           COALESCE(SUM(CASE WHEN "status" = 'HELD' THEN "amount" END), 0) AS held
    FROM "points_hold" """


@dataclass(frozen=True)
class Drift:
    check: str
    subject: str
    recorded: int
    recomputed: int


@dataclass(frozen=True)
class Books:
    """The programme's figures. `outstanding` is the liability: points users still hold;
    `issued` is net of refunded orders' points taken back; `owed` is what refunds could not
    take back yet."""

    issued: int
    adjusted: int
    redeemed: int
    held: int
    expired: int
    forfeited: int
    outstanding: int
    owed: int = 0

    @property
    def balanced(self) -> bool:
        return self.outstanding == (
            self.issued + self.adjusted - self.redeemed - self.held - self.expired - self.forfeited
        )


@dataclass(frozen=True)
class AuditReport:
    accounts: int
    books: Books
    drift: list[Drift] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.drift and self.books.balanced


async def audit_ledger(limit_per_check: int = 100) -> AuditReport:
    drift: list[Drift] = []
    for name, query in CHECKS.items():
        for row in await sql.fetch(f"{query} LIMIT {int(limit_per_check)}"):
            drift.append(
                Drift(name, str(row["subject"]), int(row["recorded"]), int(row["recomputed"]))
            )
    books = (await sql.fetch(BOOKS))[0]
    holds = (await sql.fetch(HOLDS))[0]
    totals = (
        await sql.fetch(
            'SELECT COUNT(*) AS accounts, COALESCE(SUM("ledger_balance"), 0) AS outstanding, '
            'COALESCE(SUM("debt"), 0) AS owed FROM "account"'
        )
    )[0]
    return AuditReport(
        accounts=int(totals["accounts"]),
        books=Books(
            issued=int(books["issued"]),
            adjusted=int(books["adjusted"]),
            redeemed=int(books["spent"]) + int(holds["captured"]),
            held=int(holds["held"]),
            expired=int(books["expired"]),
            forfeited=int(books["forfeited"]),
            outstanding=int(totals["outstanding"]),
            owed=int(totals["owed"]),
        ),
        drift=drift,
    )
