"""mall: the personalised home screen."""

from __future__ import annotations

from pointsmall import access, clock
from pointsmall.domain.campaigns.lifecycle import next_change as campaign_change
from pointsmall.domain.mall.cards import active_catalogue, mall_cards, next_change, viewer_of
from pointsmall.schema.context import Info
from pointsmall.schema.mall.cards import Mall, MallCard
from pointsmall.schema.mall.items import items_for


async def mall(info: Info) -> Mall:
    """The home screen's cards, personalised for a signed-in user."""
    account = await access.optional_viewer(info)
    runtime = info.context.runtime
    loaders = info.context.loaders
    now = clock.now()
    viewer = None
    if account is not None:
        summary = await loaders.ledger.points.load(account.id)
        audiences = await loaders.mall.audiences.load(account.id)
        viewer = await viewer_of(account, summary, runtime.settings.mall_expiring_window, audiences)
    zone = info.context.viewer_zone
    cards = await mall_cards(viewer, runtime.redis, runtime.guard, now, zone)
    info.context.changes_by(next_change(viewer, await active_catalogue(), now, zone))
    info.context.changes_by(await campaign_change(now))  # a discount starting or ending
    wanted = sorted({item_id for card in cards for item_id in card.item_ids})
    models = [model for model in await loaders.mall.item.load_many(wanted) if model is not None]
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
