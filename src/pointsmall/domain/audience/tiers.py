"""Member tiers: levels by points earned in a rolling 12 months.

Earned points are those of EARN entries (orders, check-ins, tasks, shares, gifts), less
what refunds took back (CLAWBACK entries, including what was owed), within the last 365
days; admin adjustments do not count. A user moves up the moment an earning reaches the
next threshold (`upgrade`, in the earning's transaction) and keeps a tier at least a year:
moving down happens only at the yearly review (`review_tiers`, a daily job), after a
notice `REVIEW_NOTICE` ahead saying how many points keep the tier.

Benefits honoured by the rest of the product: order points times `earn_percent` / 100
(stacking with the first-order multiplier by multiplication, rounded down per line), a
check-in bonus, and items and tasks kept for a tier and above (audiences, `tier >=`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pointsmall import sql
from pointsmall.domain import events
from pointsmall.domain.audience.tier_rules import Tier, TierRules
from pointsmall.domain.ledger.accounts import lock_accounts
from pointsmall.domain.notifications import inbox
from pointsmall.domain.notifications.notices import TierChangedNotice, TierReviewNotice
from pointsmall.models import Account, SegmentChange
from pointsmall.models.audience import Dimension

YEAR = timedelta(days=365)
BATCH = 2_000


EARNED_SQL = (
    'SELECT "account_id", COALESCE(SUM(CASE WHEN "kind" = \'EARN\' THEN "amount" '
    'ELSE "amount" - "debt_change" END), 0) AS "earned" FROM "ledger_entry" '
    "WHERE \"kind\" IN ('EARN', 'CLAWBACK') AND \"created_at\" > $1 AND {among} "
    'GROUP BY "account_id"'
)


async def earned_in_year(account_ids: list[int], now: datetime) -> dict[int, int]:
    """Points each account earned in the 12 months to `now`, net of refunds (one statement)."""
    if not account_ids:
        return {}
    among, params = sql.among('"account_id"', account_ids, 2)
    rows = await sql.fetch(EARNED_SQL.format(among=among), now - YEAR, *params)
    earned = {int(row["account_id"]): int(row["earned"]) for row in rows}
    return {account_id: earned.get(account_id, 0) for account_id in account_ids}


async def upgrade(account: Account, now: datetime, rules: TierRules) -> None:
    """Move the account up at once if what it earned in a year reached a higher tier. In
    the transaction of the earning, the account locked."""
    if account.tier_level >= len(rules.tiers) - 1:
        return
    earned = (await earned_in_year([account.id], now))[account.id]
    reached = rules.tier_for(earned)
    if reached.level > account.tier_level:
        await _set_tiers({account.id: account.tier_level}, reached, now, rules)
        account.tier_level = reached.level


async def _set_tiers(previous: dict[int, int], tier: Tier, now: datetime, rules: TierRules) -> None:
    """Move accounts (id: the level they leave, read under their lock) to `tier`: kept at
    least a year from now, the change recorded and told."""
    await Account.filter(id__in=list(previous)).update(
        tier_level=tier.level, tier_since=now, tier_review_at=now + YEAR if tier.level else None
    )
    await SegmentChange.bulk_create(
        [
            SegmentChange(
                account_id=account_id,
                dimension=Dimension.TIER,
                previous=rules.at(level).name,
                segment=tier.name,
                changed_at=now,
            )
            for account_id, level in previous.items()
        ]
    )
    await inbox.notify_many(
        [
            inbox.Outgoing(
                account_id,
                TierChangedNotice(rules.at(level).name, tier.name, tier.level > level),
                dedupe_key=f"tier:{now.isoformat()}",
            )
            for account_id, level in previous.items()
        ]
    )


async def review_tiers(now: datetime, rules: TierRules, batch: int = BATCH) -> int:
    """The yearly review (a daily job): every account whose tier is a year old takes the
    tier its last 12 months earned (which may be the same, held another year); accounts
    whose review is within `review_notice` and who would move down are told, once, how
    many points keep their tier. Returns how many moved down."""
    moved = 0
    due = now + rules.review_notice
    after = 0
    while True:
        accounts = (
            await Account.filter(id__gt=after, tier_review_at__lte=due)
            .order_by("id")
            .limit(batch)
            .only("id", "tier_level", "tier_review_at")
        )
        if not accounts:
            return moved
        after = accounts[-1].id
        earned = await earned_in_year([account.id for account in accounts], now)
        async with events.atomic():
            locked = await lock_accounts([account.id for account in accounts], skip_locked=True)
            notices: list[inbox.Outgoing] = []
            reviewed: dict[int, dict[int, int]] = {}  # level: {account id: from level}
            for account in locked:
                if account.tier_review_at is None or account.tier_review_at > due:
                    continue  # upgraded meanwhile: reviewed a year from then
                current = rules.at(account.tier_level)
                keeps = rules.tier_for(earned[account.id])
                if account.tier_review_at > now:
                    if keeps.level < current.level:
                        notices.append(_review_notice(account, current, earned[account.id]))
                    continue
                reviewed.setdefault(keeps.level, {})[account.id] = account.tier_level
            await inbox.notify_many(notices)
            for level, previous in reviewed.items():
                kept = {key: was for key, was in previous.items() if was == level}
                if kept:  # held another year
                    await Account.filter(id__in=list(kept)).update(tier_review_at=now + YEAR)
                down = {key: was for key, was in previous.items() if was != level}
                if down:
                    await _set_tiers(down, rules.at(level), now, rules)
                    moved += len(down)


def _review_notice(account: Account, current: Tier, earned: int) -> inbox.Outgoing:
    assert account.tier_review_at is not None
    return inbox.Outgoing(
        account.id,
        TierReviewNotice(current.name, current.threshold - earned, account.tier_review_at),
        dedupe_key=f"tier-review:{account.tier_review_at.isoformat()}",
    )


@dataclass(frozen=True)
class Standing:
    """A user's tier as they are shown it."""

    tier: Tier
    earned: int  # in the last 12 months
    next: Tier | None
    review_at: datetime | None

    @property
    def points_to_go(self) -> int:
        return max(self.next.threshold - self.earned, 0) if self.next else 0

    @property
    def target(self) -> int:
        return self.next.threshold if self.next else self.tier.threshold

    @property
    def percent(self) -> int:
        if self.next is None:
            return 100
        return min(100, self.earned * 100 // self.next.threshold)


async def standings_of(
    accounts: list[Account], now: datetime, rules: TierRules
) -> dict[int, Standing]:
    """Each account's standing, in one statement."""
    earned = await earned_in_year([account.id for account in accounts], now)
    standings = {}
    for account in accounts:
        tier = rules.at(account.tier_level)
        standings[account.id] = Standing(
            tier, earned[account.id], rules.next_after(tier), account.tier_review_at
        )
    return standings
