"""Relay global IDs: parsing what clients send back."""

from __future__ import annotations

import re

import strawberry
from strawberry.relay import GlobalID, GlobalIDValueError

from pointsmall.domain.errors import NotFound

DATABASE_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only: "²" is a digit to str.isdigit


def parse_global_id(value: str, field: str, expected_type: str | None = None) -> tuple[str, int]:
    """(type name, database id) of a global ID; anything malformed is simply not found."""
    try:
        global_id = GlobalID.from_id(value)
    except (GlobalIDValueError, ValueError):
        raise NotFound(f"{field} is not an id of this API", field=field) from None
    node_id = global_id.node_id
    if not DATABASE_ID.fullmatch(node_id):
        raise NotFound(f"{field} is not an id of this API", field=field)
    if expected_type is not None and global_id.type_name != expected_type:
        raise NotFound(f"{field} is not the id of a {expected_type}", field=field)
    return global_id.type_name, int(node_id)


def id_of(value: str, field: str, type_name: str) -> int:
    """The database id inside a global ID of `type_name`; NOT_FOUND (naming `field`) else."""
    return parse_global_id(str(value), field, type_name)[1]


def global_id(type_name: str, key: int | None) -> strawberry.ID | None:
    """The global ID of a referenced object (None stays None)."""
    return None if key is None else strawberry.ID(str(GlobalID(type_name, str(key))))


def optional_id_of(value: str | None, field: str, type_name: str) -> int | None:
    """`id_of`, where null means none."""
    return None if value is None else id_of(value, field, type_name)
