"""Cursor connections: `first` at most 100, opaque cursors, keyset pages (no OFFSET)."""

from __future__ import annotations

import base64
import binascii

from pointsmall.schema.errors import BadUserInput

MAX_PAGE = 100
DEFAULT_PAGE = 20


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be from 0 to {MAX_PAGE}")
    return first


def encode_cursor(kind: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> int | None:
    """The key inside a cursor of this connection; a foreign or broken cursor is refused."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput("after is not a cursor of this list") from None
    prefix, _, key = text.partition(":")
    if prefix != kind or not key.isdigit() or len(key) > 19:
        raise BadUserInput("after is not a cursor of this list")
    return int(key)
