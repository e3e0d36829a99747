"""items, item, mall; createItem, updateItem, archiveItem, restockItem, addCouponCodes."""

from __future__ import annotations

from typing import Any

import strawberry

from pointsmall import clock
from pointsmall.auth import Role
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.mall import catalogue
from pointsmall.domain.mall.cards import mall_cards, viewer_of
from pointsmall.domain.mall.catalogue import ItemFields, VirtualRight
from pointsmall.models import Item as ItemModel
from pointsmall.models import ItemKind, ItemStatus
from pointsmall.resolvers.access import mutate, optional_viewer, require
from pointsmall.schema.context import Info
from pointsmall.schema.errors import NotFoundError
from pointsmall.schema.mall import Item, ItemConnection, Mall, MallCard, items_for
from pointsmall.schema.mall_mutations import (
    AddCouponCodesInput,
    AddCouponCodesPayload,
    ArchiveItemInput,
    ArchiveItemPayload,
    CreateItemInput,
    CreateItemPayload,
    RestockItemInput,
    RestockItemPayload,
    UpdateItemInput,
    UpdateItemPayload,
)
from pointsmall.schema.node import parse_global_id
from pointsmall.schema.pagination import connection, decode_cursor, encode_cursor, page_size

CURSOR = "item"


def _is_admin(info: Info) -> bool:
    principal = info.context.principal
    return principal is not None and principal.has(Role.ADMIN)


async def items(
    info: Info,
    first: int | None = 20,
    after: str | None = None,
    category: str | None = None,
    kind: ItemKind | None = None,
    status: ItemStatus | None = None,
) -> ItemConnection:
    """The catalogue, by sort weight then newest. `status` is for admins (default ACTIVE)."""
    if status not in (None, ItemStatus.ACTIVE) and not _is_admin(info):
        require(info, Role.ADMIN)
    size = page_size(first)
    after_keys = decode_cursor(CURSOR, after, size=2)
    await optional_viewer(info)
    rows = await catalogue.items_page(
        statuses=[status or ItemStatus.ACTIVE],
        category=category,
        kind=kind,
        after=(after_keys[0], after_keys[1]) if after_keys else None,
        limit=size + 1,
    )
    return connection(
        rows,
        await items_for(info, rows[:size]),
        size,
        lambda item: encode_cursor(CURSOR, item.sort_weight, item.id),
        has_previous=after_keys is not None,
    )


async def visible_item_model(info: Info, item_id: int) -> ItemModel | None:
    """An item the caller may see: drafts are for admins only."""
    model = await ItemModel.get_or_none(id=item_id)
    if model is None or (model.status == ItemStatus.DRAFT and not _is_admin(info)):
        return None
    return model


async def item(info: Info, id: strawberry.ID) -> Item | None:
    try:
        _, item_id = parse_global_id(str(id), "id", "Item")
    except NotFound:
        raise NotFoundError("no such item") from None
    await optional_viewer(info)
    model = await visible_item_model(info, item_id)
    if model is None:
        raise NotFoundError("no such item")
    [found] = await items_for(info, [model])
    return found


async def mall(info: Info) -> Mall:
    """The home screen's cards, personalised for a signed-in user."""
    account = await optional_viewer(info)
    now = clock.now()
    viewer = None
    if account is not None:
        summary = await info.context.loaders.points_by_account.load(account.id)
        viewer = await viewer_of(
            account, summary, info.context.runtime.settings.mall_expiring_window
        )
    runtime = info.context.runtime
    cards = await mall_cards(viewer, runtime.redis, runtime.guard, now, info.context.viewer_zone)
    wanted = sorted({item_id for card in cards for item_id in card.item_ids})
    models = [
        model
        for model in await info.context.loaders.item_by_id.load_many(wanted)
        if model is not None
    ]
    by_id = {item.id: item for item in await items_for(info, models)}
    return Mall(
        cards=[
            MallCard(
                kind=card.kind,
                title=card.title,
                subtitle=card.subtitle,
                items=[by_id[item_id] for item_id in card.item_ids if item_id in by_id],
            )
            for card in cards
        ]
    )


def _fields(data: CreateItemInput) -> ItemFields:
    return ItemFields(
        kind=data.kind,
        title=data.title,
        category=data.category,
        price_points=data.price_points,
        description=data.description,
        image_urls=list(data.image_urls),
        tags=list(data.tags),
        price_cash_amount=data.price_cash.amount if data.price_cash else None,
        price_cash_currency=data.price_cash.currency if data.price_cash else None,
        stock=data.stock,
        per_user_quota=data.per_user_quota,
        quota_window=data.quota_window,
        sale_starts_at=data.sale_starts_at,
        sale_ends_at=data.sale_ends_at,
        sale_recurrence=data.sale_recurrence,
        limited=data.limited,
        high_value=data.high_value,
        status=data.status,
        sort_weight=data.sort_weight,
        virtual_right=VirtualRight(data.virtual_right.name, data.virtual_right.days)
        if data.virtual_right
        else None,
    )


def _changes(data: UpdateItemInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in (
        "title",
        "description",
        "image_urls",
        "category",
        "tags",
        "price_points",
        "per_user_quota",
        "quota_window",
        "sale_starts_at",
        "sale_ends_at",
        "sale_recurrence",
        "limited",
        "high_value",
        "status",
        "sort_weight",
    ):
        value = getattr(data, name)
        if value is not strawberry.UNSET:
            changes[name] = value
    if data.price_cash is not strawberry.UNSET:
        cash = data.price_cash
        changes["price_cash_amount"] = cash.amount if cash else None
        changes["price_cash_currency"] = cash.currency if cash else None
    if data.virtual_right is not strawberry.UNSET:
        right = data.virtual_right
        changes["virtual_right"] = VirtualRight(right.name, right.days) if right else None
    for required in (
        "title",
        "category",
        "price_points",
        "quota_window",
        "sale_recurrence",
        "limited",
        "high_value",
        "status",
        "sort_weight",
    ):
        if required in changes and changes[required] is None:
            raise InvalidValue(f"{required} cannot be null", field=required)
    return changes


def _item_id(value: strawberry.ID) -> int:
    return parse_global_id(str(value), "itemId", "Item")[1]


async def create_item(info: Info, input: CreateItemInput) -> CreateItemPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        created = await catalogue.create_item(_fields(input))
        return {"item": Item.from_model(created)}

    return await mutate(CreateItemPayload, work)


async def update_item(info: Info, input: UpdateItemInput) -> UpdateItemPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        updated = await catalogue.update_item(_item_id(input.item_id), _changes(input))
        return {"item": Item.from_model(updated)}

    return await mutate(UpdateItemPayload, work)


async def archive_item(info: Info, input: ArchiveItemInput) -> ArchiveItemPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        return {"item": Item.from_model(await catalogue.archive_item(_item_id(input.item_id)))}

    return await mutate(ArchiveItemPayload, work)


async def restock_item(info: Info, input: RestockItemInput) -> RestockItemPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        restocked = await catalogue.restock_item(
            _item_id(input.item_id),
            input.quantity,
            input.idempotency_key,
            info.context.actor(Role.ADMIN),
        )
        return {"item": Item.from_model(restocked)}

    return await mutate(RestockItemPayload, work)


async def add_coupon_codes(info: Info, input: AddCouponCodesInput) -> AddCouponCodesPayload:
    require(info, Role.ADMIN)

    async def work() -> dict[str, Any]:
        result = await catalogue.add_coupon_codes(_item_id(input.item_id), list(input.codes))
        return {
            "item": Item.from_model(result.item),
            "added": result.added,
            "duplicates": result.duplicates,
        }

    return await mutate(AddCouponCodesPayload, work)
