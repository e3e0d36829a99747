"""Bans: penalties with an end, on earning, redeeming or joining campaigns."""

from __future__ import annotations

from datetime import datetime

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.errors import InvalidState, InvalidValue, NotFound
from pointsmall.domain.ledger.accounts import find_account
from pointsmall.domain.risk.checks import keyed_hash
from pointsmall.models import Ban, BanScope, Blacklisted, BlacklistKind


async def ban_user(
    user_id: str, scopes: list[BanScope], until: datetime, reason: str, actor: Actor
) -> Ban:
    account = await find_account(user_id)
    until = validation.moment(until, "until") or clock.now()
    if until <= clock.now():
        raise InvalidValue("a ban ends in the future", field="until")
    if not scopes:
        raise InvalidValue("name what the ban stops: EARN, REDEEM, JOIN", field="scopes")
    why = validation.reason(reason)
    if not why:
        raise InvalidValue("a reason is required", field="reason")
    async with events.atomic():
        ban = await Ban.create(
            account_id=account.id,
            scopes=sorted({scope.value for scope in scopes}),
            until=until,
            reason=why,
            banned_by=actor.user_id,
            created_at=clock.now(),
        )
        events.after_commit(events.AccountChanged(account.id))
    return ban


async def lift_ban(ban_id: int) -> Ban:
    async with events.atomic():
        ban = await Ban.select_for_update().get_or_none(id=ban_id)
        if ban is None:
            raise NotFound("no such ban", field="banId")
        if ban.lifted_at is not None or ban.until <= clock.now():
            raise InvalidState("this ban is over already")
        await Ban.filter(id=ban_id).update(lifted_at=clock.now())
        events.after_commit(events.AccountChanged(ban.account_id))
    return await Ban.get(id=ban_id)


async def blacklist(
    kind: BlacklistKind, value: str, until: datetime, reason: str, actor: Actor, key: str
) -> Blacklisted:
    """List a user (by user id), a device (by its id, as the apps send it) or an address
    (`redemptions.address_key` of it) until a date. Devices and addresses are kept hashed."""
    until = validation.moment(until, "until") or clock.now()
    if until <= clock.now():
        raise InvalidValue("a listing ends in the future", field="until")
    why = validation.reason(reason)
    if not why:
        raise InvalidValue("a reason is required", field="reason")
    if kind == BlacklistKind.USER:
        subject = str((await find_account(value)).id)
    else:
        hashed = keyed_hash(value, key)
        if hashed is None:
            raise InvalidValue("give the device id or address to list", field="value")
        subject = hashed
    return await Blacklisted.create(
        kind=kind,
        subject=subject,
        until=until,
        reason=why,
        listed_by=actor.user_id,
        created_at=clock.now(),
    )
