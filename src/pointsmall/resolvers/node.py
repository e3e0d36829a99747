"""node(id:): any object by its global ID, if the caller may see it.

Users reach their own account, entries, redemptions and notifications, their tasks, and
the mall's items; admins reach everything but users' notifications. Whatever the
reason an object is out of reach (malformed, unknown, someone else's), the answer is the
same NOT_FOUND, so IDs reveal nothing.
"""

from __future__ import annotations

import strawberry
from strawberry import relay

from pointsmall.auth import Role
from pointsmall.domain.engagement.task_views import task_view
from pointsmall.domain.errors import NotFound
from pointsmall.domain.ledger.history import entry_of_account
from pointsmall.models import Account as AccountModel
from pointsmall.models import Notification
from pointsmall.models import Task as TaskModel
from pointsmall.resolvers.access import account_type, require, viewer_account
from pointsmall.resolvers.mall import visible_item_model
from pointsmall.resolvers.redemptions import redemption_for
from pointsmall.schema.context import Info
from pointsmall.schema.engagement import Task
from pointsmall.schema.errors import NotFoundError, Unauthenticated
from pointsmall.schema.ledger import LedgerEntry
from pointsmall.schema.mall import items_for
from pointsmall.schema.node import parse_global_id
from pointsmall.schema.notifications import NOTIFICATION_TYPES
from pointsmall.schema.notifications import from_model as notification_from_model
from pointsmall.schema.redemptions import Redemption

MISSING = "no object with this id"


async def task_for(info: Info, task_id: int, is_admin: bool) -> Task | None:
    """Admins see any task; users the open ones meant for them, with their progress."""
    if is_admin:
        task = await TaskModel.get_or_none(id=task_id)
        return Task.for_ops(task) if task else None
    seen = await task_view(await viewer_account(info), task_id, info.context.runtime.rules)
    return Task.from_view(seen) if seen else None


async def node(info: Info, id: strawberry.ID) -> relay.Node | None:
    principal = info.context.principal
    if principal is None:
        raise Unauthenticated("this field needs a bearer token")
    is_admin = principal.has(Role.ADMIN)
    if not is_admin:
        require(info, Role.USER)
    try:
        type_name, key = parse_global_id(str(id), "id")
    except NotFound:
        raise NotFoundError(MISSING) from None
    owner = None if is_admin else (await viewer_account(info)).id
    found: relay.Node | None = None
    if type_name == "Account" and (owner is None or owner == key):
        account = await AccountModel.get_or_none(id=key)
        found = account_type(info, account) if account else None
    elif type_name == "LedgerEntry":
        entry = await entry_of_account(key, owner)
        found = LedgerEntry.from_model(entry) if entry else None
    elif type_name == "Item":
        item_model = await visible_item_model(info, key)
        found = (await items_for(info, [item_model]))[0] if item_model else None
    elif type_name == "Redemption":
        redemption = await redemption_for(info, key)
        found = Redemption.from_model(redemption) if redemption else None
    elif type_name == "Task":
        found = await task_for(info, key, is_admin)
    elif type_name in NOTIFICATION_TYPES and owner is not None:
        stored = await Notification.get_or_none(id=key, account_id=owner)
        found = notification_from_model(stored) if stored else None
    if found is None:
        raise NotFoundError(MISSING)
    return found
