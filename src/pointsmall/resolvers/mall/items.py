"""items, item; createItem, updateItem, archiveItem, restockItem, addCouponCodes (admin)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import strawberry

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.mall import catalogue
from pointsmall.domain.mall.catalogue import ItemFields, VirtualRight
from pointsmall.models import Item as ItemModel
from pointsmall.models import ItemKind, ItemStatus
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.context import Info
from pointsmall.schema.errors import NotFoundError
from pointsmall.schema.mall.items import (
    AddCouponCodesInput,
    AddCouponCodesPayload,
    ArchiveItemInput,
    ArchiveItemPayload,
    CashInput,
    CreateItemInput,
    CreateItemPayload,
    Item,
    ItemConnection,
    RestockItemInput,
    RestockItemPayload,
    UpdateItemInput,
    UpdateItemPayload,
    VirtualRightInput,
    item_for,
    items_for,
)
from pointsmall.schema.node import id_of, optional_id_of
from pointsmall.schema.pagination import Keyset, keyset_page

# The input fields that are not plain copies of ItemFields: they are built below.
BUILT = {"price_cash", "virtual_right", "price_cash_amount", "price_cash_currency", "audience_id"}
NOT_NULL = {"title", "category", "price_points", "quota_window", "sale_recurrence", "limited",
            "high_value", "status", "sort_weight"}  # fmt: skip


async def items(
    info: Info,
    first: int | None = 20,
    after: str | None = None,
    category: str | None = None,
    kind: ItemKind | None = None,
    status: ItemStatus | None = None,
) -> ItemConnection:
    """The catalogue, by sort weight then newest. `status` is for admins (default ACTIVE)."""
    if status not in (None, ItemStatus.ACTIVE):
        access.require(info, Role.ADMIN)
    audiences = await access.seen_audiences(info)

    async def read(keys: tuple[int, ...] | None, limit: int) -> list[ItemModel]:
        return await catalogue.items_page(
            statuses=[status or ItemStatus.ACTIVE],
            category=category,
            kind=kind,
            after=(keys[0], keys[1]) if keys else None,
            limit=limit,
            audiences=audiences,
        )

    async def nodes_of(rows: Sequence[ItemModel]) -> list[Item]:
        return await items_for(info, list(rows))

    keyset = Keyset("item", 2, read, lambda item: (item.sort_weight, item.id), nodes_of)
    return await keyset_page(keyset, first, after)


async def item(info: Info, id: strawberry.ID) -> Item | None:
    try:
        item_id = id_of(id, "id", "Item")
    except NotFound:
        raise NotFoundError("no such item") from None
    await access.optional_viewer(info)
    model = await info.context.loaders.mall.item.load(item_id)
    if not await access.may_see_item(info, model):
        raise NotFoundError("no such item")
    assert model is not None
    return await item_for(info, model)


def _cash(cash: CashInput | None) -> dict[str, Any]:
    return {
        "price_cash_amount": cash.amount if cash else None,
        "price_cash_currency": cash.currency if cash else None,
    }


def _right(right: VirtualRightInput | None) -> VirtualRight | None:
    return VirtualRight(right.name, right.days) if right else None


def _fields(data: CreateItemInput) -> ItemFields:
    plain = {
        field.name: getattr(data, field.name)
        for field in fields(ItemFields)
        if field.name not in BUILT
    }
    return ItemFields(
        **plain,
        **_cash(data.price_cash),
        virtual_right=_right(data.virtual_right),
        audience_id=optional_id_of(data.audience_id, "audienceId", "Audience"),
    )


def _changes(data: UpdateItemInput) -> dict[str, Any]:
    """The fields the input names (left out: UNSET), as ItemFields values."""
    changes: dict[str, Any] = {
        field.name: getattr(data, field.name)
        for field in fields(ItemFields)
        if field.name in catalogue.UPDATABLE
        and field.name not in BUILT
        and getattr(data, field.name) is not strawberry.UNSET
    }
    if data.price_cash is not strawberry.UNSET:
        changes.update(_cash(data.price_cash))
    if data.virtual_right is not strawberry.UNSET:
        changes["virtual_right"] = _right(data.virtual_right)
    if data.audience_id is not strawberry.UNSET:
        changes["audience_id"] = optional_id_of(data.audience_id, "audienceId", "Audience")
    for required in NOT_NULL & set(changes):
        if changes[required] is None:
            raise InvalidValue(f"{required} cannot be null", field=required)
    return changes


async def _mapped(info: Info, model: ItemModel) -> Item:
    return await item_for(info, model)


async def create_item(info: Info, input: CreateItemInput) -> CreateItemPayload:
    access.require(info, Role.ADMIN)

    async def work() -> CreateItemPayload:
        created = await catalogue.create_item(_fields(input))
        return CreateItemPayload(item=await _mapped(info, created))

    return await mutate(info, CreateItemPayload, work)


async def update_item(info: Info, input: UpdateItemInput) -> UpdateItemPayload:
    access.require(info, Role.ADMIN)

    async def work() -> UpdateItemPayload:
        item_id = id_of(input.item_id, "itemId", "Item")
        updated = await catalogue.update_item(item_id, _changes(input))
        return UpdateItemPayload(item=await _mapped(info, updated))

    return await mutate(info, UpdateItemPayload, work)


async def archive_item(info: Info, input: ArchiveItemInput) -> ArchiveItemPayload:
    access.require(info, Role.ADMIN)

    async def work() -> ArchiveItemPayload:
        archived = await catalogue.archive_item(id_of(input.item_id, "itemId", "Item"))
        return ArchiveItemPayload(item=await _mapped(info, archived))

    return await mutate(info, ArchiveItemPayload, work)


async def restock_item(info: Info, input: RestockItemInput) -> RestockItemPayload:
    access.require(info, Role.ADMIN)

    async def work() -> RestockItemPayload:
        restocked = await catalogue.restock_item(
            id_of(input.item_id, "itemId", "Item"),
            input.quantity,
            input.idempotency_key,
            info.context.actor(Role.ADMIN),
        )
        return RestockItemPayload(item=await _mapped(info, restocked))

    return await mutate(info, RestockItemPayload, work)


async def add_coupon_codes(info: Info, input: AddCouponCodesInput) -> AddCouponCodesPayload:
    access.require(info, Role.ADMIN)

    async def work() -> AddCouponCodesPayload:
        item_id = id_of(input.item_id, "itemId", "Item")
        result = await catalogue.add_coupon_codes(item_id, list(input.codes))
        return AddCouponCodesPayload(
            item=await _mapped(info, result.item),
            added=result.added,
            duplicates=result.duplicates,
        )

    return await mutate(info, AddCouponCodesPayload, work)
