"""node(id:): any object by its global ID, if the caller may see it (`pointsmall.access`).

Whatever the reason an object is out of reach (malformed, unknown, someone else's), the
answer is the same NOT_FOUND, so IDs reveal nothing.
"""

from __future__ import annotations

import strawberry
from strawberry import relay

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain.errors import NotFound
from pointsmall.domain.ledger.history import entry_of_account
from pointsmall.models import Account as AccountModel
from pointsmall.models import Notification as NotificationModel
from pointsmall.models import Task as TaskModel
from pointsmall.resolvers.engagement.tasks import for_ops
from pointsmall.resolvers.ledger.accounts import account_type
from pointsmall.schema.context import Info
from pointsmall.schema.engagement.tasks import Task
from pointsmall.schema.errors import NotFoundError
from pointsmall.schema.ledger.entries import LedgerEntry
from pointsmall.schema.mall.items import item_for
from pointsmall.schema.mall.redemptions import Redemption
from pointsmall.schema.node import parse_global_id
from pointsmall.schema.notifications.inbox import NOTIFICATION_TYPES, Notification

MISSING = "no object with this id"


async def node(info: Info, id: strawberry.ID) -> relay.Node | None:
    is_admin = access.acting_role(info, Role.ADMIN, Role.USER) == Role.ADMIN
    try:
        type_name, key = parse_global_id(str(id), "id")
    except NotFound:
        raise NotFoundError(MISSING) from None
    owner = None if is_admin else (await access.viewer_account(info)).id
    found = await _find(info, type_name, key, owner)
    if found is None:
        raise NotFoundError(MISSING)
    return found


async def _find(info: Info, type_name: str, key: int, owner: int | None) -> relay.Node | None:
    """The object, if `owner` (None: an admin) may see it."""
    loaders = info.context.loaders
    if type_name == "Account" and owner in (None, key):
        account = await AccountModel.get_or_none(id=key)
        return account_type(info, account) if account else None
    if type_name == "LedgerEntry":
        entry = await entry_of_account(key, owner)
        return LedgerEntry.from_model(entry) if entry else None
    if type_name == "Item":
        item = await loaders.mall.item.load(key)
        return (
            await item_for(info, item) if await access.may_see_item(info, item) and item else None
        )
    if type_name == "Redemption":
        redemption = await loaders.mall.redemption.load(key)
        if redemption is None or not await access.may_see_redemption(info, redemption):
            return None
        return Redemption.from_model(redemption)
    if type_name == "Task":
        if owner is None:
            task = await TaskModel.get_or_none(id=key)
            return for_ops(task) if task else None
        views = await loaders.engagement.task_views.load(owner)
        seen = next((view for view in views if view.task.id == key), None)
        return Task.from_view(seen) if seen else None
    if type_name in NOTIFICATION_TYPES and owner is not None:  # the inbox: its user's alone
        stored = await NotificationModel.get_or_none(id=key, account_id=owner)
        return Notification.from_model(stored) if stored else None
    return None
