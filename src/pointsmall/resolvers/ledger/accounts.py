"""me, account(userId), pointsChanged; upsertUser (service); freezeAccount, unfreezeAccount
(admin)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from pointsmall import access, clock
from pointsmall.auth import Role
from pointsmall.domain.audience import gifts
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
from pointsmall.subscriptions.feeds import follow


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

    async def open_feed() -> PointsFeed:
        viewer = await access.viewer_account(info)
        return PointsFeed(viewer.id)

    async for points in follow(info, open_feed):
        yield points


class PointsFeed:
    """A user's points, sent again when a figure shown changed."""

    __slots__ = ("account_id", "shown")

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id
        self.shown: tuple[int, int, int, bool, int] | None = None

    @property
    def channel(self) -> str:
        return account_channel(self.account_id)

    async def start(self) -> AsyncIterator[Points]:
        summary = await points_of(self.account_id, clock.now())
        self.shown = summary.figures
        yield Points.from_summary(summary)

    async def updates(self, messages: list[str]) -> AsyncIterator[Points]:
        # A burst of changes is one update; a notification alone, or no net change: nothing.
        summary = await points_of(self.account_id, clock.now())
        if summary.figures != self.shown:
            self.shown = summary.figures
            yield Points.from_summary(summary)


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
                birthday=input.birthday,
                attributes={given.name: given.value for given in input.attributes}
                if input.attributes is not None
                else None,
            )
        )
        runtime = info.context.runtime
        engagement = runtime.engagement
        await gifts.welcome(
            saved, clock.now(), runtime.rules, engagement.lifecycle, engagement.gifts
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
