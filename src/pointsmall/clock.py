"""The one clock of the service.

Every rule that depends on time (expiry, pending windows, sale windows, local days) asks
`now()` here, so tests can move time without patching.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC; a test replaces it with a `MovableClock`."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock(Clock):
    """A clock that stands still until moved."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("MovableClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


_clock: Clock = Clock()


def now() -> datetime:
    return _clock.now()


def use_clock(clock: Clock) -> Clock:
    """Install `clock` and return the one it replaced."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def utc(moment: datetime) -> datetime:
    """`moment` in UTC. Everything stored is UTC (SQLite compares the stored text)."""
    if moment.tzinfo is None:
        raise ValueError("datetime without a time zone")
    return moment.astimezone(UTC)
