"""A campaign's figures, live and at settlement, and its A/B test's results.

Attributed orders are the paid orders (not wholly refunded) of participants within the
campaign's window. Points issued are what the campaign paid (extra order points, bonuses,
check-in rewards, prizes), all charged to its budget.

An experiment is judged on retention: of each variant's participants who checked in
during the window, how many checked in again 1 and 7 days after their first check-in
there. Each rate has a 95% Wilson interval; each variant is compared with the first (the
control) by a two-sided two-proportion z-test on 7-day retention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from pointsmall import sql
from pointsmall.models import Campaign, CheckIn, Participant

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Figures:
    participants: int
    enrolments: int
    points_issued: int
    budget_left: int | None
    prizes_paid: int
    redemptions: int
    orders: int
    order_value: int  # minor units, net of refunds

    @property
    def cost_per_participant(self) -> float | None:
        return self.points_issued / self.participants if self.participants else None

    @property
    def cost_per_order(self) -> float | None:
        return self.points_issued / self.orders if self.orders else None


async def figures_of(campaign: Campaign) -> Figures:
    people = await sql.fetch(
        'SELECT COUNT(*) AS "participants", COALESCE(SUM(CASE WHEN "enrolled" THEN 1 ELSE 0 '
        'END), 0) AS "enrolments", COALESCE(SUM("points"), 0) AS "points", '
        'COALESCE(SUM(CASE WHEN "prize_points" IS NULL THEN 0 ELSE 1 END), 0) AS "prizes" '
        'FROM "campaign_participant" WHERE "campaign_id" = $1',
        campaign.id,
    )
    orders = await sql.fetch(
        'SELECT COUNT(*) AS "orders", COALESCE(SUM(o."amount" - o."refunded_amount"), 0) AS '
        '"value" FROM "engagement_order" o JOIN "campaign_participant" p ON p."account_id" = '
        'o."account_id" WHERE p."campaign_id" = $1 AND o."paid_at" >= $2 AND o."paid_at" < $3 '
        'AND o."amount" > o."refunded_amount"',
        campaign.id,
        campaign.starts_at,
        campaign.ends_at,
    )
    redeemed = await sql.fetch(
        'SELECT COUNT(*) AS "redemptions" FROM "mall_redemption" r JOIN "campaign_participant" '
        'p ON p."account_id" = r."account_id" WHERE p."campaign_id" = $1 AND r."created_at" >= '
        '$2 AND r."created_at" < $3',
        campaign.id,
        campaign.starts_at,
        campaign.ends_at,
    )
    row = people[0]
    budget = campaign.budget_points
    return Figures(
        participants=int(row["participants"]),
        enrolments=int(row["enrolments"]),
        points_issued=int(row["points"]),
        budget_left=None if budget is None else budget - campaign.budget_spent,
        prizes_paid=int(row["prizes"]),
        redemptions=int(redeemed[0]["redemptions"]),
        orders=int(orders[0]["orders"]),
        order_value=int(orders[0]["value"]),
    )


@dataclass(frozen=True)
class Rate:
    hits: int
    of: int

    @property
    def value(self) -> float:
        return self.hits / self.of if self.of else 0.0

    def interval(self) -> tuple[float, float]:
        """The 95% Wilson score interval."""
        if not self.of:
            return (0.0, 0.0)
        n, p = self.of, self.value
        centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
        half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
        return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class VariantResult:
    name: str
    users: int
    conversion: Rate  # checked in at least once in the window
    retention_d1: Rate
    retention_d7: Rate
    points_issued: int
    redemptions: int


@dataclass(frozen=True)
class Comparison:
    variant: str
    lift: float | None  # relative change of 7-day retention against the control
    p_value: float | None


def two_sided_p(a: Rate, b: Rate) -> float | None:
    """A two-proportion z-test's two-sided p-value (None when it cannot be computed)."""
    if not a.of or not b.of:
        return None
    pooled = (a.hits + b.hits) / (a.of + b.of)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a.of + 1 / b.of))
    if spread == 0:
        return None
    z = (b.value - a.value) / spread
    return math.erfc(abs(z) / math.sqrt(2))


async def experiment_of(campaign: Campaign) -> tuple[list[VariantResult], list[Comparison]]:
    participants = await Participant.filter(campaign_id=campaign.id, variant__isnull=False)
    by_account = {p.account_id: p for p in participants}
    days: dict[int, set[date]] = {}
    for account_id, day in await CheckIn.filter(
        account_id__in=list(by_account),
        created_at__gte=campaign.starts_at,
        created_at__lt=campaign.ends_at + timedelta(days=8),
    ).values_list("account_id", "local_date"):
        days.setdefault(account_id, set()).add(day)
    redemptions = dict(
        (int(row["account_id"]), int(row["redemptions"]))
        for row in await sql.fetch(
            'SELECT "account_id", COUNT(*) AS "redemptions" FROM "mall_redemption" WHERE '
            '"created_at" >= $1 AND "created_at" < $2 GROUP BY "account_id"',
            campaign.starts_at,
            campaign.ends_at,
        )
    )
    results = []
    for variant in campaign.variants:
        members = [p for p in participants if p.variant == variant["name"]]
        active = [p for p in members if days.get(p.account_id)]
        d1 = d7 = 0
        for member in active:
            seen = days[member.account_id]
            first = min(seen)
            d1 += first + timedelta(days=1) in seen
            d7 += first + timedelta(days=7) in seen
        results.append(
            VariantResult(
                name=variant["name"],
                users=len(members),
                conversion=Rate(len(active), len(members)),
                retention_d1=Rate(d1, len(active)),
                retention_d7=Rate(d7, len(active)),
                points_issued=sum(member.points for member in members),
                redemptions=sum(redemptions.get(member.account_id, 0) for member in members),
            )
        )
    control = results[0] if results else None
    comparisons = []
    for result in results[1:]:
        assert control is not None
        base = control.retention_d7.value
        comparisons.append(
            Comparison(
                result.name,
                (result.retention_d7.value - base) / base if base else None,
                two_sided_p(control.retention_d7, result.retention_d7),
            )
        )
    return results, comparisons
