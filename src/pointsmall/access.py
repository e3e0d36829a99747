"""Who may see and do what: the one access policy, for root fields, nested fields and node().

Roles: `user` (their own data only), `admin` (ops), `service` (the shop's back end). The
rules, all here:

- An account's points are shown to whoever reaches the account (the user; admins; the
  shop in its mutations' payloads). Its history, redemptions, tasks, check-ins and
  achievement are for the user and for admins. Its inbox is for the user alone: what it
  tells is in the history, redemptions and points that admins see.
- An entry's audit trail and a redemption's status history are for admins.
- Items are for everyone, drafts for admins only, items kept for an audience for its
  members (and admins). A redemption is its user's, and any
  admin's. Tasks are their audience's (admins see all).
- Anything out of reach is NOT_FOUND, the same answer as a malformed or unknown id.
"""

from __future__ import annotations

from pointsmall.auth import Principal, Role
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.mall.cards import shown_to
from pointsmall.models import Account, Item, ItemStatus, Redemption
from pointsmall.schema.context import Info
from pointsmall.schema.errors import Forbidden, Unauthenticated


def require(info: Info, role: Role) -> Principal:
    """The caller, who must hold `role` (UNAUTHENTICATED without a token, else FORBIDDEN)."""
    principal = info.context.principal
    if principal is None:
        raise Unauthenticated("this field needs a bearer token")
    if not principal.has(role):
        raise Forbidden(f"this field needs the {role.value} role")
    return principal


def is_admin(info: Info) -> bool:
    return info.context.has_role(Role.ADMIN)


async def viewer_account(info: Info) -> Account:
    """The calling user's account, opened on their first authenticated call."""
    principal = require(info, Role.USER)
    if info.context.viewer is None:
        info.context.viewer = await open_account(
            principal.user_id, nickname=principal.nickname, timezone=principal.timezone
        )
        # Just read: the operation's loaders need not read it again (a mutation's
        # forget_loaded() drops it with the rest).
        info.context.loaders.ledger.account.prime(info.context.viewer.id, info.context.viewer)
    return info.context.viewer


async def optional_viewer(info: Info) -> Account | None:
    """The calling user's account when a user calls; None for anonymous, admin or service."""
    if not info.context.has_role(Role.USER):
        return None
    return await viewer_account(info)


def require_user_or_admin(info: Info, account_id: int) -> None:
    """History, redemptions, tasks and the like: the account's user, or an admin."""
    if is_admin(info):
        return
    viewer = info.context.viewer
    if viewer is None or viewer.id != account_id:
        raise Forbidden("this part of an account is for its user and for admins")


def require_user(info: Info, account_id: int) -> None:
    """The inbox: the account's user alone."""
    viewer = info.context.viewer
    if viewer is None or viewer.id != account_id:
        raise Forbidden("the inbox is for its user alone")


def require_admin(info: Info, what: str) -> None:
    if not is_admin(info):
        raise Forbidden(f"{what} is for admins")


async def seen_audiences(info: Info) -> set[int] | None:
    """The audiences whose exclusive items the caller sees: every one (None) for admins,
    a user's own, none for anyone else."""
    if is_admin(info):
        return None
    account = await optional_viewer(info)
    if account is None:
        return set()
    return await info.context.loaders.mall.audiences.load(account.id)


async def may_see_item(info: Info, item: Item | None) -> bool:
    if item is None or (item.status == ItemStatus.DRAFT and not is_admin(info)):
        return False
    return item.audience_id is None or shown_to(item, await seen_audiences(info))


async def may_see_redemption(info: Info, redemption: Redemption | None) -> bool:
    if redemption is None or info.context.principal is None:
        return False
    if is_admin(info):
        return True
    return (
        info.context.has_role(Role.USER)
        and redemption.account_id == (await viewer_account(info)).id
    )


def acting_role(info: Info, *roles: Role) -> Role:
    """The first of `roles` the caller holds, for mutations open to several (the audit
    trail records which one acted); FORBIDDEN when none."""
    for role in roles:
        if info.context.has_role(role):
            return role
    require(info, roles[0])  # raises: the caller holds none of them
    raise AssertionError("unreachable")
