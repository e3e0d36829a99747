"""me, account(userId), pointsChanged; upsertUser (service); freezeAccount, unfreezeAccount
(admin)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from pointsmall import access, clock
from pointsmall.auth import Role
from pointsmall.domain.errors import NotFound
from pointsmall.domain.ledger import corrections
from pointsmall.domain.ledger.accounts import ProfileUpdate, find_account, upsert_profile
from pointsmall.domain.ledger.balances import points_of
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.models import Account as AccountModel
from pointsmall.resolvers.payloads import mutate
from pointsmall.runtime import account_channel
from pointsmall.schema.context import Info
from pointsmall.schema.errors import NotFoundError
from pointsmall.schema.ledger.accounts import (
    Account,
    FreezeAccountInput,
    FreezeAccountPayload,
    Points,
    UnfreezeAccountInput,
    UnfreezeAccountPayload,
    UpsertUserInput,
    UpsertUserPayload,
)


def account_type(info: Info, account: AccountModel) -> Account:
    return Account.from_model(account, info.context.runtime.settings.default_timezone)


async def me(info: Info) -> Account:
    """The calling user's account (opened on first call)."""
    return account_type(info, await access.viewer_account(info))


async def account(info: Info, user_id: str) -> Account | None:
    """Any user's account, by the shop's user id (admin)."""
    access.require(info, Role.ADMIN)
    try:
        found = await find_account(user_id)
    except NotFound as error:
        raise NotFoundError(error.message) from None
    return account_type(info, found)


async def points_changed(info: Info) -> AsyncGenerator[Points, None]:
    """The viewer's points now, then again whenever one of the values shown changed."""
    viewer = await access.viewer_account(info)
    async with info.context.runtime.broker.subscribe(account_channel(viewer.id)) as changes:
        summary = await points_of(viewer.id, clock.now())
        shown = summary.figures
        info.context.start_event()
        yield Points.from_summary(summary)
        info.context.end_event()
        while True:
            await changes.get()
            changes.take_all()  # a burst of changes is one update
            summary = await points_of(viewer.id, clock.now())
            if summary.figures != shown:  # a notification alone, or no net change: nothing
                shown = summary.figures
                info.context.start_event()
                yield Points.from_summary(summary)
                info.context.end_event()


async def upsert_user(info: Info, input: UpsertUserInput) -> UpsertUserPayload:
    access.require(info, Role.SERVICE)

    async def work() -> UpsertUserPayload:
        saved = await upsert_profile(
            ProfileUpdate(
                user_id=input.user_id,
                nickname=input.nickname,
                timezone=input.timezone,
                registered_at=input.registered_at,
                tags=input.tags,
            )
        )
        return UpsertUserPayload(account=account_type(info, saved))

    return await mutate(info, UpsertUserPayload, work)


async def freeze_account(info: Info, input: FreezeAccountInput) -> FreezeAccountPayload:
    access.require(info, Role.ADMIN)

    async def work() -> FreezeAccountPayload:
        frozen = await _set_frozen(info, input.user_id, input.reason, frozen=True)
        return FreezeAccountPayload(account=frozen)

    return await mutate(info, FreezeAccountPayload, work)


async def unfreeze_account(info: Info, input: UnfreezeAccountInput) -> UnfreezeAccountPayload:
    access.require(info, Role.ADMIN)

    async def work() -> UnfreezeAccountPayload:
        thawed = await _set_frozen(info, input.user_id, input.reason, frozen=False)
        return UnfreezeAccountPayload(account=thawed)

    return await mutate(info, UnfreezeAccountPayload, work)


async def _set_frozen(info: Info, user_id: str, reason: str, *, frozen: bool) -> Account:
    target = await find_account(user_id)
    request = LedgerRequest(actor=info.context.actor(Role.ADMIN), reason=reason)
    return account_type(info, await corrections.set_frozen(target.id, frozen, request))
