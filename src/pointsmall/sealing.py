"""Personal data sealed at rest: field-level encryption (Fernet, AES-128-CBC with an
HMAC-SHA256) with keys from the settings (`DATA_KEYS`), rotated by adding a key in front.

The first key seals; every key opens, so a new key goes first, `pointsmall seal --rotate`
seals every row again under it, and the old one can then go. Without `DATA_KEYS` the key
is derived from `JWT_SECRET` (which production requires to be strong). A sealed value is
stored as `{"sealed": "<token>"}` in its JSON column: a row written before sealing (plain
JSON) still reads, and the migration that brought sealing seals those rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from tortoise import fields
from tortoise.models import Model

SEALED = "sealed"


class Keyring:
    def __init__(self, keys: list[str]) -> None:
        self.keys = tuple(keys)  # the first seals, every one opens
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def seal(self, value: Any) -> str:
        return self._fernet.encrypt(json.dumps(value, sort_keys=True).encode()).decode()

    def open(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ValueError("sealed data that no key in DATA_KEYS opens") from None

    def reseal(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()


def derived_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(f"seal:{secret}".encode()).digest()).decode()


def keyring_for(data_keys: list[str], jwt_secret: str) -> Keyring:
    return Keyring(data_keys or [derived_key(jwt_secret)])


_current = [Keyring([derived_key("pointsmall-development-secret-do-not-use-in-production")])]


def use(keyring: Keyring) -> None:
    """The keys this process seals and opens with (set as it starts)."""
    _current[0] = keyring


def keyring() -> Keyring:
    return _current[0]


class SealedJSONField(fields.JSONField):  # type: ignore[type-arg]
    """A JSON value sealed at rest (see the module)."""

    def to_db_value(self, value: Any, instance: type[Model] | Model) -> str | None:
        if value is None:
            return None
        if isinstance(value, dict) and set(value) == {SEALED}:
            return super().to_db_value(value, instance)
        return super().to_db_value({SEALED: keyring().seal(value)}, instance)

    def to_python_value(self, value: Any) -> Any:
        data = super().to_python_value(value)
        if isinstance(data, dict) and set(data) == {SEALED}:
            return keyring().open(data[SEALED])
        return data


async def seal_rows(client: Any, keys: Keyring, *, rotate: bool) -> int:
    """Seal every stored shipping address not sealed yet; with `rotate`, seal the sealed
    ones again under the first key. Returns how many rows were written."""
    sqlite = client.capabilities.dialect == "sqlite"
    rows = await client.execute_query_dict(
        'SELECT "id", "shipping_address" FROM "mall_redemption" '
        'WHERE "shipping_address" IS NOT NULL'
    )
    written = 0
    for row in rows:
        stored = row["shipping_address"]
        data = json.loads(stored) if isinstance(stored, str) else stored
        if data is None:
            continue
        if isinstance(data, dict) and set(data) == {SEALED}:
            if not rotate:
                continue
            sealed = {SEALED: keys.reseal(data[SEALED])}
        else:
            sealed = {SEALED: keys.seal(data)}
        mark = "?" if sqlite else "$1"
        await client.execute_query(
            f'UPDATE "mall_redemption" SET "shipping_address" = {mark} '
            f'WHERE "id" = {int(row["id"])}',
            [json.dumps(sealed)],
        )
        written += 1
    return written
