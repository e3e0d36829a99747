"""Cursor connections: `first` at most 100, opaque cursors, keyset pages (no OFFSET)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from strawberry import relay

from pointsmall.schema.errors import BadUserInput

MAX_PAGE = 100
DEFAULT_PAGE = 20
_KEY = re.compile(r"-?[0-9]{1,18}")
Row = TypeVar("Row")
Node = TypeVar("Node", bound=relay.Node)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be from 0 to {MAX_PAGE}")
    return first


def microseconds(moment: datetime) -> int:
    """A moment as a cursor key (microseconds since the epoch, UTC)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_microseconds(key: int) -> datetime:
    try:
        return EPOCH + timedelta(microseconds=key)
    except OverflowError:
        raise BadUserInput("after is not a cursor of this list") from None


def encode_cursor(kind: str, *keys: int) -> str:
    text = ":".join([kind, *(str(key) for key in keys)])
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(kind: str, cursor: str | None, size: int = 1) -> tuple[int, ...] | None:
    """The keys inside a cursor of this connection; a foreign or broken cursor is refused."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput("after is not a cursor of this list") from None
    prefix, *keys = text.split(":")
    if prefix != kind or len(keys) != size or not all(_KEY.fullmatch(key) for key in keys):
        raise BadUserInput("after is not a cursor of this list")
    return tuple(int(key) for key in keys)


@dataclass(frozen=True)
class Keyset(Generic[Row, Node]):
    """How one connection pages: its cursor's name and key count, how to read a page after
    a cursor's keys (newest first, `limit` rows), a row's keys, and the page's nodes (all
    at once, so what they need loads in one batch)."""

    kind: str
    size: int
    read: Callable[[tuple[int, ...] | None, int], Awaitable[Sequence[Row]]]
    keys_of: Callable[[Row], tuple[int, ...]]
    nodes_of: Callable[[Sequence[Row]], Awaitable[Sequence[Node]]]


def each(node_of: Callable[[Row], Node]) -> Callable[[Sequence[Row]], Awaitable[list[Node]]]:
    """`nodes_of` for nodes that map from their row alone."""

    async def nodes_of(rows: Sequence[Row]) -> list[Node]:
        return [node_of(row) for row in rows]

    return nodes_of


async def keyset_page(
    keyset: Keyset[Row, Node], first: int | None, after: str | None
) -> relay.Connection[Node]:
    """The page after `after` (a cursor of this connection), at most `first` long.

    One row more than the page is read: it says whether there is a next page."""
    size = page_size(first)
    after_keys = decode_cursor(keyset.kind, after, keyset.size)
    rows = await keyset.read(after_keys, size + 1)
    nodes = await keyset.nodes_of(rows[:size])
    edges = [
        relay.Edge(cursor=encode_cursor(keyset.kind, *keyset.keys_of(row)), node=node)
        for row, node in zip(rows[:size], nodes, strict=True)
    ]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=after_keys is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
