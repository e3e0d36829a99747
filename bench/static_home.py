"""A static strawberry app with the home query's shape: the reference for the cold `mall`.

bench/ratios.py measures `pointsmall serve` answering the home query with nothing cached
against this: a tiny strawberry + Starlette app, served by uvicorn (one worker, uvloop,
httptools, as `pointsmall serve`), whose `mall { cards { ... items { ... } } }` returns
constants of the same shape: the same types (`Item` a relay Node, the same enums, a
DateTime), the same number of cards, items and fields. What it costs is what strawberry,
Starlette and uvicorn cost for that answer, and no more. Like the real server it caches
parsed and validated documents (strawberry's ParserCache and ValidationCache; the server
has its own) and writes JSON with orjson.

    .venv/bin/python bench/static_home.py --port 8094 [--answer home.json]

--answer: a JSON answer of the real server to the home query (`{"data": {"mall": ...}}`)
whose cards and items it serves, field by field; without it, 5 cards of 10 made-up items.
It ignores the Authorization header. GET /readyz answers 200 once it serves.
"""

from __future__ import annotations

import argparse
import base64
import enum
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry import relay
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

HOST = "127.0.0.1"


@strawberry.enum
class ItemKind(enum.Enum):
    PHYSICAL = "PHYSICAL"
    VIRTUAL = "VIRTUAL"
    SERVICE = "SERVICE"
    COUPON = "COUPON"


@strawberry.enum
class MallCardKind(enum.Enum):
    EXPIRING_SOON = "EXPIRING_SOON"
    HOT = "HOT"
    FOR_YOU = "FOR_YOU"
    LIMITED = "LIMITED"
    NEW = "NEW"


@strawberry.type
class Item(relay.Node):
    id: relay.NodeID[int]
    kind: ItemKind
    title: str
    category: str
    price_points: int
    remaining_stock: int | None
    limited: bool
    sale_starts_at: datetime | None
    on_sale: bool
    affordable: bool | None
    points_short: int | None
    quota_left: int | None


@strawberry.type
class MallCard:
    kind: MallCardKind
    title: str
    subtitle: str
    items: list[Item]


@strawberry.type
class Mall:
    cards: list[MallCard]


def item_of(answer: dict[str, Any]) -> Item:
    """An item of the real server's answer; its global id is "Item:<int>" in base64."""
    starts = answer.get("saleStartsAt")
    return Item(
        id=int(base64.b64decode(answer["id"]).decode().split(":", 1)[1]),
        kind=ItemKind(answer["kind"]),
        title=answer["title"],
        category=answer["category"],
        price_points=answer["pricePoints"],
        remaining_stock=answer["remainingStock"],
        limited=answer["limited"],
        sale_starts_at=datetime.fromisoformat(starts) if starts else None,
        on_sale=answer["onSale"],
        affordable=answer["affordable"],
        points_short=answer["pointsShort"],
        quota_left=answer["quotaLeft"],
    )


def cards_of(answer: dict[str, Any]) -> list[MallCard]:
    return [
        MallCard(
            kind=MallCardKind(card["kind"]),
            title=card["title"],
            subtitle=card["subtitle"],
            items=[item_of(item) for item in card["items"]],
        )
        for card in answer["data"]["mall"]["cards"]
    ]


def made_up_cards() -> list[MallCard]:
    """5 cards of 10 items, every field set."""
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    kinds = list(ItemKind)
    return [
        MallCard(
            kind=kind,
            title=f"{kind.name.title()} card",
            subtitle="Picked for you",
            items=[
                Item(
                    id=100 * card + number,
                    kind=kinds[number % len(kinds)],
                    title=f"Item {card}-{number}",
                    category="coffee",
                    price_points=100 + 50 * number,
                    remaining_stock=40 + number if number % 2 else None,
                    limited=number % 5 == 0,
                    sale_starts_at=now + timedelta(hours=number) if number % 3 == 0 else None,
                    on_sale=True,
                    affordable=number % 2 == 0,
                    points_short=0 if number % 2 == 0 else 50,
                    quota_left=2 if number % 4 == 1 else None,
                )
                for number in range(10)
            ],
        )
        for card, kind in enumerate(MallCardKind)
    ]


def schema_for(cards: list[MallCard]) -> strawberry.Schema:
    home = Mall(cards=cards)

    @strawberry.type
    class Query:
        @strawberry.field
        def mall(self) -> Mall:
            return home

    return strawberry.Schema(query=Query, extensions=[ParserCache, ValidationCache])


class StaticGraphQL(GraphQL[None, None]):
    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()


async def readyz(request: Request) -> Response:
    return JSONResponse({"status": "ready"})


def create_app(cards: list[MallCard]) -> Starlette:
    graphql = StaticGraphQL(schema_for(cards), graphql_ide=None)
    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/readyz", readyz)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="a static app of the home query's shape")
    parser.add_argument("--port", type=int, default=8094)
    parser.add_argument("--answer", type=Path, help="the real server's answer (JSON)")
    args = parser.parse_args()
    cards = cards_of(json.loads(args.answer.read_text())) if args.answer else made_up_cards()
    uvicorn.run(
        create_app(cards),
        host=HOST,
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
