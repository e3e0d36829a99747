"""share, openShare (user)."""

from __future__ import annotations

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain.engagement import shares
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.wording import with_article
from pointsmall.models import ShareTarget
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.context import Info
from pointsmall.schema.engagement.shares import (
    OpenShareInput,
    OpenSharePayload,
    Share,
    ShareInput,
    SharePayload,
)
from pointsmall.schema.node import id_of


async def _target_id(info: Info, target: ShareTarget, target_id: str | None) -> str:
    """A target the user may share, as a stable id; anything else is simply not found."""
    if target in shares.OWN_TARGETS:
        if target_id not in (None, "", "me"):
            raise InvalidValue(
                f"{with_article(target.value)} share has no targetId", field="targetId"
            )
        return "me"
    if not target_id:
        raise InvalidValue(f"{with_article(target.value)} share needs a targetId", field="targetId")
    loaders = info.context.loaders.mall
    if target == ShareTarget.ITEM:
        item_id = id_of(target_id, "targetId", "Item")
        if not await access.may_see_item(info, await loaders.item.load(item_id)):
            raise NotFound("no such item", field="targetId")
        return f"Item:{item_id}"
    redemption_id = id_of(target_id, "targetId", "Redemption")
    if not await access.may_see_redemption(info, await loaders.redemption.load(redemption_id)):
        raise NotFound("no such redemption", field="targetId")
    return f"Redemption:{redemption_id}"


async def share(info: Info, input: ShareInput) -> SharePayload:
    account = await access.viewer_account(info)
    runtime = info.context.runtime

    async def work() -> SharePayload:
        made = await shares.share(
            account.id,
            input.target,
            await _target_id(info, input.target, input.target_id),
            input.idempotency_key,
            info.context.actor(Role.USER),
            runtime.rules,
            runtime.engagement,
        )
        return SharePayload(share=Share.from_model(made, runtime.engagement))

    return await mutate(info, SharePayload, work)


async def open_share(info: Info, input: OpenShareInput) -> OpenSharePayload:
    account = await access.viewer_account(info)
    runtime = info.context.runtime

    async def work() -> OpenSharePayload:
        opened = await shares.open_share(
            account.id,
            input.token,
            info.context.actor(Role.USER),
            runtime.rules,
            runtime.engagement,
        )
        return OpenSharePayload(rewarded=opened.reward > 0)

    return await mutate(info, OpenSharePayload, work)
