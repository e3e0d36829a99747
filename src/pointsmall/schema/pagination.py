"""Cursor connections: `first` at most 100, opaque cursors, keyset pages (no OFFSET)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

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


def connection(
    rows: Sequence[Row],
    nodes: Sequence[Node],
    size: int,
    cursor_of: Callable[[Row], str],
    *,
    has_previous: bool,
) -> relay.Connection[Node]:
    """A page from `size + 1` rows fetched (the extra one says whether there is more)."""
    edges = [
        relay.Edge(cursor=cursor_of(row), node=node)
        for row, node in zip(rows[:size], nodes[:size], strict=False)
    ]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
