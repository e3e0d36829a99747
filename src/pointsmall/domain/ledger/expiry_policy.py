"""When earned points expire.

Two policies, chosen by the `POINTS_EXPIRY` setting:

- ``rolling:N``: a lot expires N days after it was earned (default ``rolling:365``).
- ``month-end:N`` / ``quarter-end:N`` / ``year-end:N``: a lot expires at the end of the
  calendar period N periods after the one it was earned in, in the programme's time zone
  (``year-end:1``: points earned any time in 2026 expire when 2027 ends; ``N = 0``: at the
  end of the period they were earned in).

`expires_at` is the first instant at which the points are no longer spendable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["month", "quarter", "year"]
_MONTHS_PER_PERIOD: dict[Period, int] = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class RollingExpiry:
    days: int

    def expires_at(self, earned_at: datetime, zone: ZoneInfo) -> datetime:
        return earned_at + timedelta(days=self.days)

    def __str__(self) -> str:
        return f"rolling:{self.days}"


@dataclass(frozen=True)
class PeriodEndExpiry:
    period: Period
    periods_after: int

    def expires_at(self, earned_at: datetime, zone: ZoneInfo) -> datetime:
        local = earned_at.astimezone(zone)
        step = _MONTHS_PER_PERIOD[self.period]
        first_month = local.month - (local.month - 1) % step  # the period's first month
        # Months since year 0 of the first month after the target period ends.
        end_index = local.year * 12 + (first_month - 1) + step * (self.periods_after + 1)
        year, month0 = divmod(end_index, 12)
        return datetime(year, month0 + 1, 1, tzinfo=zone).astimezone(earned_at.tzinfo)

    def __str__(self) -> str:
        return f"{self.period}-end:{self.periods_after}"


ExpiryPolicy = RollingExpiry | PeriodEndExpiry


def parse_expiry_policy(text: str) -> ExpiryPolicy:
    """Read ``rolling:365``, ``month-end:3``, ``quarter-end:1`` or ``year-end:1``."""
    kind, _, number = text.strip().partition(":")
    if not number.isdigit():
        raise ValueError(f"POINTS_EXPIRY {text!r}: expected KIND:N with N a whole number")
    count = int(number)
    if kind == "rolling":
        if not 1 <= count <= 36_500:
            raise ValueError(f"POINTS_EXPIRY {text!r}: rolling days must be 1..36500")
        return RollingExpiry(days=count)
    periods: dict[str, Period] = {
        "month-end": "month",
        "quarter-end": "quarter",
        "year-end": "year",
    }
    if kind in periods:
        if count > 100:
            raise ValueError(f"POINTS_EXPIRY {text!r}: at most 100 periods")
        return PeriodEndExpiry(period=periods[kind], periods_after=count)
    raise ValueError(
        f"POINTS_EXPIRY {text!r}: kind must be rolling, month-end, quarter-end or year-end"
    )
