"""Daily check-ins: once per local day, with a streak and an escalating reward.

The day is the user's own (their IANA time zone, else the programme's). A second check-in
on one local day is refused by the database (unique on user and local date), and all of a
user's check-ins run with their account row locked, so fifty at once pay once. Missing a
local day resets the streak; the reward schedule repeats (default: 10 points on days 1-6,
20 on day 7).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.campaigns import effects
from pointsmall.domain.engagement import task_progress
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.errors import DomainError, ErrorCode, InvalidValue
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import lock_account, zone_of
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.risk import checks as risk_checks
from pointsmall.models import Account, CheckIn, TaskEvent


class AlreadyCheckedIn(DomainError):
    code = ErrorCode.ALREADY_CHECKED_IN


async def check_in(
    account_id: int,
    idempotency_key: str,
    actor: Actor,
    ledger_rules: LedgerRules,
    rules: EngagementRules,
) -> CheckIn:
    """Check in for today (the actor's device and network address go to the risk rules)."""
    key = validation.idempotency_key(idempotency_key)
    try:
        async with events.atomic():
            account = await lock_account(account_id)
            earlier = await CheckIn.get_or_none(account_id=account_id, idempotency_key=key)
            if earlier is not None:
                return earlier
            now = clock.now()
            today = now.astimezone(zone_of(account, ledger_rules.zone)).date()
            recent = {  # today's and yesterday's, in one read
                row.local_date: row.streak
                for row in await CheckIn.filter(
                    account_id=account_id, local_date__gte=today - timedelta(days=1)
                ).only("local_date", "streak")
            }
            if today in recent:
                raise AlreadyCheckedIn("already checked in today: come back tomorrow")
            streak = recent.get(today - timedelta(days=1), 0) + 1
            reward, _ = await effects.check_in_reward(
                account, today, reward_for(account, streak, ledger_rules, rules), now, ledger_rules
            )
            done = await CheckIn.create(
                account_id=account_id,
                local_date=today,
                streak=streak,
                reward=reward,
                idempotency_key=key,
                created_at=now,
            )
            await entries.earn(
                account_id,
                reward,
                LedgerRequest(
                    actor,
                    f"check-in:{today.isoformat()}",
                    f"day {streak} check-in",
                    reference=f"check-in:{today.isoformat()}",
                ),
                ledger_rules,
            )
            await effects.after_check_in(account, now, ledger_rules)
            await risk_checks.after_check_in(account_id, actor, now)
            await task_progress.record_progress(
                account_id, TaskEvent.CHECK_IN, now, ledger_rules, source=f"check-in:{done.id}"
            )
            return done
    except IntegrityError:  # the database's own guard: one check-in per local day
        raise AlreadyCheckedIn("already checked in today: come back tomorrow") from None


@dataclass(frozen=True)
class CheckInStatus:
    checked_in_today: bool
    streak: int
    today_reward: int
    next_reward: int


async def status(
    account: Account, ledger_rules: LedgerRules, rules: EngagementRules
) -> CheckInStatus:
    today = clock.now().astimezone(zone_of(account, ledger_rules.zone)).date()
    recent = {
        row.local_date: row
        for row in await CheckIn.filter(
            account_id=account.id, local_date__gte=today - timedelta(days=1)
        )
    }
    if today in recent:
        streak = recent[today].streak
        return CheckInStatus(
            True, streak, recent[today].reward, reward_for(account, streak + 1, ledger_rules, rules)
        )
    alive = recent[today - timedelta(days=1)].streak if today - timedelta(days=1) in recent else 0
    return CheckInStatus(
        False,
        alive,
        reward_for(account, alive + 1, ledger_rules, rules),
        reward_for(account, alive + 2, ledger_rules, rules),
    )


def reward_for(
    account: Account, streak: int, ledger_rules: LedgerRules, rules: EngagementRules
) -> int:
    """The schedule's reward for a streak's day, plus the user's tier's check-in bonus."""
    return rules.check_in_reward(streak) + ledger_rules.tiers.at(account.tier_level).check_in_bonus


@dataclass(frozen=True)
class CalendarDay:
    day: date
    checked_in: bool
    reward: int | None


async def month_calendar(
    account: Account, month: str | None, default_zone: ZoneInfo
) -> list[CalendarDay]:
    """Every day of `month` ("2026-11"; None: the user's current month), with the check-ins
    made and their rewards."""
    if month is None:
        today = clock.now().astimezone(zone_of(account, default_zone)).date()
        month = f"{today.year}-{today.month:02d}"
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise InvalidValue("month is YYYY-MM, e.g. 2026-11", field="month") from None
    last = first.replace(day=calendar.monthrange(year, number)[1])
    rows = {
        row.local_date: row
        for row in await CheckIn.filter(
            account_id=account.id, local_date__gte=first, local_date__lte=last
        )
    }
    return [
        CalendarDay(day, day in rows, rows[day].reward if day in rows else None)
        for day in (first + timedelta(days=offset) for offset in range(last.day))
    ]
