"""The personalised home screen as clients see it."""

from __future__ import annotations

import strawberry

from pointsmall.domain.mall.cards import CardKind
from pointsmall.schema.mall.items import Item

MallCardKind = CardKind
strawberry.enum(MallCardKind, name="MallCardKind")


@strawberry.type(description="A card of the home screen.")
class MallCard:
    kind: MallCardKind
    title: str
    subtitle: str
    items: list[Item]


@strawberry.type(description="The personalised home screen of the mall.")
class Mall:
    cards: list[MallCard]
