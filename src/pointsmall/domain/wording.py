"""Small helpers for the words users and ops read in messages and reasons."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def with_article(word: str) -> str:
    """ "an item", "a redemption", "an EARN": the article a reader expects before `word`."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as a user reads it: in their time zone, to the minute ("3 Dec, 20:00 CST")."""
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b}, {local:%H:%M} {local.tzname()}"


def local_day(moment: datetime, zone: ZoneInfo) -> str:
    """The user's local date of a moment ("3 Dec")."""
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b}"


def span(length: timedelta) -> str:
    """A window as people say it: "a day", "7 days", "an hour", "10 minutes"."""
    seconds = int(length.total_seconds())
    for unit, one, size in (
        ("day", "a day", 86_400),
        ("hour", "an hour", 3_600),
        ("minute", "a minute", 60),
    ):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return one if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"
