"""Checks shared by every operation's input, each raising `InvalidValue` naming the field."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pointsmall.clock import utc
from pointsmall.domain.errors import InvalidValue

MAX_POINTS = 1_000_000_000  # one operation never moves more than this
MAX_REASON_LENGTH = 500
MAX_KEY_LENGTH = 128
MAX_REFERENCE_LENGTH = 128
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # categories
MAX_TAGS = 50
MAX_TAG_LENGTH = 32


def positive_points(value: int, field: str = "amount") -> int:
    if not 0 < value <= MAX_POINTS:
        raise InvalidValue(f"{field} must be from 1 to {MAX_POINTS:,} points", field=field)
    return value


def signed_points(value: int, field: str = "amount") -> int:
    if value == 0 or abs(value) > MAX_POINTS:
        raise InvalidValue(
            f"{field} must be non-zero and at most {MAX_POINTS:,} points either way", field=field
        )
    return value


def text(value: str | None, field: str, max_length: int, *, required: bool = False) -> str | None:
    if value is None or not value.strip():
        if required:
            raise InvalidValue(f"{field} is required", field=field)
        return None
    value = value.strip()
    if len(value) > max_length:
        raise InvalidValue(f"{field} must be at most {max_length} characters", field=field)
    if any(ord(char) < 32 and char not in "\t\n" for char in value):
        raise InvalidValue(f"{field} must not contain control characters", field=field)
    return value


MAX_USER_ID_LENGTH = 64


def user_id_problem(value: object) -> str | None:
    """Why `value` is not a user id, if it is not. Ids are taken exactly as given: 1-64
    characters, no leading or trailing white space, no control characters; " alice" is
    refused rather than taken for "alice"."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_USER_ID_LENGTH:
        return f"a user id has 1 to {MAX_USER_ID_LENGTH} characters"
    if value != value.strip() or not value.isprintable():
        return "a user id has no white space at its ends and no control characters"
    return None


def required_text(value: str | None, field: str, max_length: int) -> str:
    checked = text(value, field, max_length, required=True)
    assert checked is not None
    return checked


def reason(value: str | None, *, required: bool = False) -> str | None:
    return text(value, "reason", MAX_REASON_LENGTH, required=required)


def idempotency_key(value: str) -> str:
    key = text(value, "idempotencyKey", MAX_KEY_LENGTH, required=True)
    assert key is not None
    return key


def moment(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return utc(value)
    except ValueError:
        raise InvalidValue(f"{field} needs a time zone offset (ISO-8601)", field=field) from None
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00 has no UTC
        raise InvalidValue(f"{field} is out of range", field=field) from None


def time_zone(value: str | None, field: str = "timezone") -> str | None:
    if value is None:
        return None
    if len(value) > 64:
        raise InvalidValue(f"{field} must be an IANA time zone such as Asia/Shanghai", field=field)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidValue(
            f"{field} must be an IANA time zone such as Asia/Shanghai", field=field
        ) from None
    return value


def tags(values: list[str], field: str = "tags") -> list[str]:
    """Audience tags: lower case, deduplicated, 1-32 letters, digits, '-' or '_'."""
    if len(values) > MAX_TAGS:
        raise InvalidValue(f"at most {MAX_TAGS} tags", field=field)
    cleaned: list[str] = []
    for value in values:
        tag = value.strip().lower()
        if not tag or len(tag) > MAX_TAG_LENGTH or not all(c.isalnum() or c in "-_" for c in tag):
            raise InvalidValue(
                f"{field} are 1-{MAX_TAG_LENGTH} letters, digits, '-' or '_'", field=field
            )
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def whole_number(value: int, field: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidValue(f"{field} must be from {low:,} to {high:,}", field=field)
    return value
