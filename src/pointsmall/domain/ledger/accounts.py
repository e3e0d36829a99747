"""Opening accounts and keeping the small profile the mall needs.

We store a nickname (leaderboards), a time zone (local days), a registration time
(segments, first-order bonus), audience tags and custom attributes (audiences), and a
birthday's month and day (a gift): nothing else about a person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pointsmall import clock, sql
from pointsmall.domain import events, validation
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.replay import first_wins
from pointsmall.models import Account

MAX_NICKNAME_LENGTH = 64


def user_id(value: str, field: str = "userId") -> str:
    problem = validation.user_id_problem(value)
    if problem is not None:
        raise InvalidValue(f"{field}: {problem}", field=field)
    return value


def zone_of(account: Account, default: ZoneInfo) -> ZoneInfo:
    """The time zone of the user's local days: their own, else the programme's."""
    return ZoneInfo(account.timezone) if account.timezone else default


async def lock_account(account_id: int) -> Account:
    """The account row, locked to the end of the transaction: every change to an account's
    points, holds, redemptions, tasks or notifications takes this lock first."""
    account = await Account.select_for_update(no_key=True).get_or_none(id=account_id)
    if account is None:
        raise NotFound("no such account")
    return account


async def lock_accounts(account_ids: Sequence[int], *, skip_locked: bool = False) -> list[Account]:
    """Many account rows, locked in id order (the order every multi-account lock takes, so
    two of them never deadlock), read by the same statement. Ids without an account are
    left out; with `skip_locked`, so are accounts another transaction holds (a batch job
    comes back for them later). On SQLite the transaction itself is the lock."""
    if not account_ids:
        return []
    among, params = sql.among('"id"', sorted(set(account_ids)), 1)
    lock = "" if sql.on_sqlite() else " FOR NO KEY UPDATE" + (" SKIP LOCKED" if skip_locked else "")
    return await sql.fetch_models(
        Account, f'SELECT * FROM "account" WHERE {among} ORDER BY "id"{lock}', *params
    )


async def account_of_user(shop_user_id: str) -> Account | None:
    """The account of a user id, if opened. Every signed-in call reads it first, so it is
    one plain statement rather than an ORM query (which spends twice the CPU building the
    same SQL each time: bench/ratios.py's profiles)."""
    rows = await sql.fetch_models(
        Account, 'SELECT * FROM "account" WHERE "user_id" = $1', shop_user_id
    )
    return rows[0] if rows else None


async def find_account(shop_user_id: str) -> Account:
    """The account of a user we already know (admin calls): `NotFound` otherwise."""
    account = await account_of_user(user_id(shop_user_id))
    if account is None:
        raise NotFound(f"no account for user {shop_user_id!r}", field="userId")
    return account


async def open_account(
    shop_user_id: str, *, nickname: str | None = None, timezone: str | None = None
) -> Account:
    """The user's account, opened on first sight (their first call, or the shop's).

    Concurrent first calls race on the unique user id; the loser reads the winner's row.
    Nickname and time zone from the token are used only when the account opens: later
    changes come through `upsert_profile`, the shop's back end being the source.
    """
    shop_user_id = user_id(shop_user_id)
    account = await account_of_user(shop_user_id)
    if account is not None:
        return account
    now = clock.now()
    # A token's nickname or zone that fails our checks is ignored, never a reason to lock a
    # user out: the shop's `upsertUser` stays the source of both.
    try:
        nickname = _nickname(nickname) if nickname else None
    except InvalidValue:
        nickname = None
    try:
        timezone = validation.time_zone(timezone)
    except InvalidValue:
        timezone = None

    async def create() -> Account:
        async with events.atomic():
            return await Account.create(
                user_id=shop_user_id,
                nickname=nickname,
                timezone=timezone,
                tags=[],
                created_at=now,
                updated_at=now,
            )

    return await first_wins(create, lambda: account_of_user(shop_user_id))


@dataclass(frozen=True)
class ProfileUpdate:
    """Fields left None are kept as they are."""

    user_id: str
    nickname: str | None = None
    timezone: str | None = None
    registered_at: datetime | None = None
    tags: list[str] | None = None
    birthday: date | None = None
    attributes: dict[str, str] | None = None


async def upsert_profile(update: ProfileUpdate) -> Account:
    nickname = _nickname(update.nickname) if update.nickname is not None else None
    timezone = validation.time_zone(update.timezone)
    registered_at = validation.moment(update.registered_at, "registeredAt")
    if registered_at is not None and registered_at > clock.now():
        raise InvalidValue("registeredAt cannot be in the future", field="registeredAt")
    tags = validation.tags(update.tags) if update.tags is not None else None
    attributes = _attributes(update.attributes) if update.attributes is not None else None
    account = await open_account(update.user_id)
    changes: dict[str, object] = {}
    if nickname is not None:
        changes["nickname"] = nickname
    if timezone is not None:
        changes["timezone"] = timezone
    if registered_at is not None:
        changes["registered_at"] = registered_at
    if tags is not None:
        changes["tags"] = tags
    if update.birthday is not None:
        changes["birth_month"], changes["birth_day"] = update.birthday.month, update.birthday.day
    if attributes is not None:
        changes["attributes"] = attributes
    if changes:
        changes["updated_at"] = clock.now()
        async with events.atomic():
            await Account.filter(id=account.id).update(**changes)
            # What the user is shown depends on it too (their cards, their local days).
            events.after_commit(events.AccountChanged(account.id))
        await account.refresh_from_db()
    return account


MAX_ATTRIBUTES = 20
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _attributes(given: dict[str, str]) -> dict[str, str]:
    """Custom attributes for audiences: at most 20, named a-z0-9_, values up to 200."""
    if len(given) > MAX_ATTRIBUTES:
        raise InvalidValue(f"at most {MAX_ATTRIBUTES} attributes", field="attributes")
    for name, value in given.items():
        if not ATTRIBUTE_NAME.match(name):
            raise InvalidValue(
                "an attribute's name is a-z, 0-9 or _, starting with a letter", field="attributes"
            )
        if len(value) > 200 or not value.isprintable():
            raise InvalidValue("an attribute's value is up to 200 characters", field="attributes")
    return dict(given)


def _nickname(value: str) -> str:
    checked = validation.text(value, "nickname", MAX_NICKNAME_LENGTH, required=True)
    assert checked is not None
    return checked
