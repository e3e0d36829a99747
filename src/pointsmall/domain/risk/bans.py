"""Bans: penalties with an end, on earning, redeeming or joining campaigns."""

from __future__ import annotations

from datetime import datetime

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.errors import InvalidState, InvalidValue, NotFound
from pointsmall.domain.ledger.accounts import find_account
from pointsmall.models import Ban, BanScope


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
