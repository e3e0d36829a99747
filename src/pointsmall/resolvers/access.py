"""Who may call what. Roles: user (own data only), admin (ops), service (the shop's back end)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from pointsmall.auth import Principal, Role
from pointsmall.domain.errors import DomainError
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.models import Account as AccountModel
from pointsmall.schema.accounts import Account
from pointsmall.schema.context import Info
from pointsmall.schema.errors import Forbidden, Unauthenticated, UserError, user_error


def require(info: Info, role: Role) -> Principal:
    principal = info.context.principal
    if principal is None:
        raise Unauthenticated("this field needs a bearer token")
    if not principal.has(role):
        raise Forbidden(f"this field needs the {role.value} role")
    return principal


async def viewer_account(info: Info) -> AccountModel:
    """The calling user's account, opened on their first authenticated call."""
    principal = require(info, Role.USER)
    if info.context.viewer is None:
        info.context.viewer = await open_account(
            principal.user_id, nickname=principal.nickname, timezone=principal.timezone
        )
    return info.context.viewer


async def optional_viewer(info: Info) -> AccountModel | None:
    """The calling user's account when a user calls; None for anonymous, admin or service."""
    principal = info.context.principal
    if principal is None or not principal.has(Role.USER):
        return None
    return await viewer_account(info)


def account_type(info: Info, account: AccountModel) -> Account:
    return Account.from_model(account, info.context.runtime.settings.default_timezone)


class Payload(Protocol):
    def __init__(self, *, errors: list[UserError]) -> None: ...


P = TypeVar("P", bound=Payload)


async def mutate(payload: type[P], work: Callable[[], Awaitable[dict[str, Any]]]) -> P:
    """Run a mutation's work; a business refusal becomes the payload's `errors`."""
    try:
        fields = await work()
    except DomainError as error:
        return payload(errors=[user_error(error)])
    return payload(errors=[], **fields)
