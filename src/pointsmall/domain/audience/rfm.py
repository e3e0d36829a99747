"""RFM: recency, frequency and monetary scores of the last 365 days of paid orders.

Over the users with a paid order (not wholly refunded) in the last 365 days, each of
the three measures (the last order's time, the number of orders, what they spent net of
refunds) is ranked and cut into quintiles: score = 1 + floor(5 x (rank - 1) / buyers),
ties sharing the lower rank, so the same figures give the same scores whatever the
order of the rows: the scores are stable between runs. Users with no such order have
none (and no RFM segment).

The named segment comes from recency (R) and the rounded mean of frequency and monetary
(FM = (F + M + 1) div 2):

    R 4-5, FM 4-5: CHAMPIONS          R 1-2, FM 3-5: AT_RISK
    R 3-5, FM 3-5 (else): LOYAL       R 2,   FM 1-2: HIBERNATING
    R 4-5, FM 1: NEW_CUSTOMERS        R 1,   FM 1-2: LOST
    R 3-5, FM 1-2 (else): POTENTIAL

The nightly job (`restate_rfm`) computes everything in the database, in one transaction
of three statements: the moves between segments recorded, the accounts updated, the users
who stopped buying cleared.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from pointsmall import sql
from pointsmall.models import RfmSegment

YEAR = timedelta(days=365)


def rfm_segment(recency: int, frequency: int, monetary: int) -> RfmSegment:
    """The named segment of three scores (the same rule as the job's SQL: `SEGMENT_SQL`)."""
    fm = (frequency + monetary + 1) // 2
    if recency >= 4 and fm >= 4:
        return RfmSegment.CHAMPIONS
    if recency >= 3 and fm >= 3:
        return RfmSegment.LOYAL
    if recency >= 4 and fm == 1:
        return RfmSegment.NEW_CUSTOMERS
    if recency >= 3:
        return RfmSegment.POTENTIAL
    if fm >= 3:
        return RfmSegment.AT_RISK
    if recency == 2:
        return RfmSegment.HIBERNATING
    return RfmSegment.LOST


SEGMENT_SQL = """CASE
  WHEN r >= 4 AND (f + m + 1) / 2 >= 4 THEN 'CHAMPIONS'
  WHEN r >= 3 AND (f + m + 1) / 2 >= 3 THEN 'LOYAL'
  WHEN r >= 4 AND (f + m + 1) / 2 = 1 THEN 'NEW_CUSTOMERS'
  WHEN r >= 3 THEN 'POTENTIAL'
  WHEN (f + m + 1) / 2 >= 3 THEN 'AT_RISK'
  WHEN r = 2 THEN 'HIBERNATING'
  ELSE 'LOST' END"""

SCORES_SQL = f"""SELECT "account_id", r, f, m, {SEGMENT_SQL} AS "segment" FROM (
  SELECT "account_id",
    1 + (RANK() OVER (ORDER BY "last_paid") - 1) * 5 / COUNT(*) OVER () AS r,
    1 + (RANK() OVER (ORDER BY "orders") - 1) * 5 / COUNT(*) OVER () AS f,
    1 + (RANK() OVER (ORDER BY "spent") - 1) * 5 / COUNT(*) OVER () AS m
  FROM (
    SELECT "account_id", MAX("paid_at") AS "last_paid", COUNT(*) AS "orders",
      SUM("amount" - "refunded_amount") AS "spent"
    FROM "engagement_order"
    WHERE "amount" > "refunded_amount" AND "paid_at" > $1
    GROUP BY "account_id"
  ) AS "buyers"
) AS "ranked\""""


async def restate_rfm(now: datetime) -> int:
    """Every user's RFM scores and segment as of `now` (the nightly job). Returns how many
    users changed segment."""
    scores = f"({SCORES_SQL}) AS s"
    async with in_transaction():
        moved = await sql.fetch(
            'INSERT INTO "audience_segment_change" '
            '("account_id", "dimension", "previous", "segment", "changed_at") '
            "SELECT a.\"id\", 'RFM', COALESCE(a.\"rfm_segment\", 'NONE'), "
            "COALESCE(s.\"segment\", 'NONE'), $2 "
            f'FROM "account" a LEFT JOIN {scores} ON s."account_id" = a."id" '
            "WHERE COALESCE(a.\"rfm_segment\", 'NONE') <> COALESCE(s.\"segment\", 'NONE') "
            'RETURNING "id"',
            now - YEAR,
            now,
        )
        await sql.execute(
            'UPDATE "account" SET "rfm_recency" = s.r, "rfm_frequency" = s.f, '
            f'"rfm_monetary" = s.m, "rfm_segment" = s."segment" FROM {scores} '
            'WHERE "account"."id" = s."account_id" AND ("account"."rfm_segment" IS NULL '
            'OR "account"."rfm_recency" <> s.r OR "account"."rfm_frequency" <> s.f '
            'OR "account"."rfm_monetary" <> s.m OR "account"."rfm_segment" <> s."segment")',
            now - YEAR,
        )
        await sql.execute(
            'UPDATE "account" SET "rfm_recency" = NULL, "rfm_frequency" = NULL, '
            '"rfm_monetary" = NULL, "rfm_segment" = NULL WHERE "rfm_segment" IS NOT NULL '
            'AND "id" NOT IN (SELECT "account_id" FROM "engagement_order" '
            'WHERE "amount" > "refunded_amount" AND "paid_at" > $1)',
            now - YEAR,
        )
    return len(moved)
