"""Small helpers for the words users and ops read in messages and reasons."""

from __future__ import annotations

from datetime import datetime
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
