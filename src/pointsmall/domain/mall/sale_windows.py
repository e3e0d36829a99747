"""When an item is on sale, and which quota period a redemption counts in.

A sale window is `[sale_starts_at, sale_ends_at)`; either end may be open. A recurring
window repeats the first one every day, week or month ("opens on the 1st of each month
for three days"); the window that matters is the current one, or the next when between
two. Quota periods are labels: a user's local day, ISO week or month (in their time
zone), the sale window occurrence, or their whole lifetime.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pointsmall.domain.errors import NotOnSale
from pointsmall.domain.wording import local_time
from pointsmall.models import Item, ItemStatus, QuotaWindow, SaleRecurrence

UTC_ZONE = ZoneInfo("UTC")
MAX_OCCURRENCES = 100_000  # ~270 years of daily windows: a bound, never reached in practice


@dataclass(frozen=True)
class SaleWindow:
    starts_at: datetime | None
    ends_at: datetime | None

    def is_open(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )

    @property
    def label(self) -> str:
        return f"sale:{self.starts_at.isoformat() if self.starts_at else 'always'}"


def _shift(moment: datetime, recurrence: SaleRecurrence, count: int) -> datetime:
    if recurrence == SaleRecurrence.DAILY:
        return moment + timedelta(days=count)
    if recurrence == SaleRecurrence.WEEKLY:
        return moment + timedelta(weeks=count)
    months = moment.year * 12 + moment.month - 1 + count
    year, month = divmod(months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def sale_window(item: Item, now: datetime) -> SaleWindow | None:
    """The current window, else the next one; None when the sale is over for good."""
    starts, ends = item.sale_starts_at, item.sale_ends_at
    if item.sale_recurrence == SaleRecurrence.NONE or starts is None or ends is None:
        if ends is not None and now >= ends:
            return None
        return SaleWindow(starts, ends)
    duration = ends - starts
    if now < ends:
        return SaleWindow(starts, ends)
    # Start a little before the occurrence (never after it: months have at most 31 days).
    step = {SaleRecurrence.DAILY: 1.0, SaleRecurrence.WEEKLY: 7.0}.get(item.sale_recurrence, 31.0)
    count = max(0, int((now - ends).total_seconds() // (step * 86_400)) - 1)
    for occurrence in range(count, count + MAX_OCCURRENCES):
        opens = _shift(starts, item.sale_recurrence, occurrence)
        if now < opens + duration:
            return SaleWindow(opens, opens + duration)
    return None


def quota_period(item: Item, now: datetime, zone: ZoneInfo) -> str:
    """The label of the period a redemption made now counts in, for this user's zone."""
    local = now.astimezone(zone)
    window = item.quota_window
    if window == QuotaWindow.DAILY:
        return f"day:{local.date().isoformat()}"
    if window == QuotaWindow.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"week:{year}-W{week:02d}"
    if window == QuotaWindow.MONTHLY:
        return f"month:{local.year}-{local.month:02d}"
    if window == QuotaWindow.SALE:
        current = sale_window(item, now)
        return current.label if current else "sale:over"
    return "lifetime"


def quota_is_zone_free(item: Item) -> bool:
    """Whether the quota period is the same for everyone (so Redis can gate it by user id)."""
    return item.quota_window in (QuotaWindow.SALE, QuotaWindow.LIFETIME)


def sale_problem(item: Item, now: datetime, zone: ZoneInfo = UTC_ZONE) -> NotOnSale | None:
    """Why the item cannot be redeemed now, if it cannot; times in the reader's `zone`."""
    if item.status != ItemStatus.ACTIVE:
        return NotOnSale("this item is no longer in the mall", field="itemId")
    window = sale_window(item, now)
    if window is None:
        return NotOnSale("this sale is over", field="itemId")
    if not window.is_open(now) and window.starts_at is not None:
        return NotOnSale(f"on sale from {local_time(window.starts_at, zone)}", field="itemId")
    return None


@dataclass(frozen=True)
class SaleFacts:
    """When the item is on sale, as a user sees it now."""

    starts_at: datetime | None  # of the current or next window; None: open
    ends_at: datetime | None
    on_sale: bool  # in the mall and inside a sale window now


def sale_facts(item: Item, now: datetime) -> SaleFacts:
    window = sale_window(item, now)
    return SaleFacts(
        starts_at=window.starts_at if window else item.sale_starts_at,
        ends_at=window.ends_at if window else item.sale_ends_at,
        on_sale=sale_problem(item, now) is None,
    )
