"""node(id:): any object by its global ID, if the caller may see it.

Users reach only their own account and entries; admins reach everything. Whatever the
reason an object is out of reach (malformed, unknown, someone else's), the answer is the
same NOT_FOUND, so IDs reveal nothing.
"""

from __future__ import annotations

import strawberry
from strawberry import relay

from pointsmall.auth import Role
from pointsmall.domain.errors import NotFound
from pointsmall.domain.history import entry_of_account
from pointsmall.models import Account as AccountModel
from pointsmall.resolvers.access import account_type, require, viewer_account
from pointsmall.schema.context import Info
from pointsmall.schema.errors import NotFoundError, Unauthenticated
from pointsmall.schema.ledger import LedgerEntry
from pointsmall.schema.node import parse_global_id

MISSING = "no object with this id"


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
    if found is None:
        raise NotFoundError(MISSING)
    return found
