"""Shipping addresses are sealed at rest; keys rotate; rows written before sealing read and
get sealed."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet
from tortoise.connection import get_connection

from pointsmall import sealing
from pointsmall.clock import MovableClock
from pointsmall.models import Redemption
from pointsmall.sealing import Keyring, seal_rows
from tests.api import Api
from tests.mall.helpers import ADDRESS, create_item, grant, redeem


async def stored(redemption_id: int) -> dict[str, object]:
    rows = await get_connection("default").execute_query_dict(
        f'SELECT "shipping_address" FROM "mall_redemption" WHERE "id" = {redemption_id}'
    )
    value = rows[0]["shipping_address"]
    found: dict[str, object] = json.loads(value) if isinstance(value, str) else value
    return found


async def test_an_address_is_sealed_at_rest_and_keys_rotate(api: Api, clock: MovableClock) -> None:
    await grant(api, "mei", 500)
    item = await create_item(api, kind="PHYSICAL", title="Lamp", pricePoints=10, virtualRight=None)
    made = await redeem(api, "mei", item["id"], "r-1", shippingAddress=ADDRESS)
    assert made["errors"] == []
    redemption = await Redemption.get()
    assert redemption.shipping_address is not None
    assert redemption.shipping_address["city"] == "Hangzhou"  # read back as it was given
    raw = await stored(redemption.id)
    assert set(raw) == {"sealed"} and "Hangzhou" not in json.dumps(raw)

    old = sealing.keyring()
    new_key = Fernet.generate_key().decode()
    try:
        # The new key goes first, the old stays to open what it sealed; then rotate.
        both = Keyring([new_key, *old.keys])
        sealing.use(both)
        assert (await Redemption.get()).shipping_address == redemption.shipping_address
        assert await seal_rows(get_connection("default"), both, rotate=True) == 1
        sealing.use(Keyring([new_key]))  # the old key gone
        assert (await Redemption.get()).shipping_address == redemption.shipping_address
    finally:
        sealing.use(old)


async def test_a_row_written_before_sealing_reads_and_is_sealed(
    api: Api, clock: MovableClock
) -> None:
    await grant(api, "mei", 500)
    item = await create_item(api, kind="PHYSICAL", title="Lamp", pricePoints=10, virtualRight=None)
    await redeem(api, "mei", item["id"], "r-1", shippingAddress=ADDRESS)
    redemption = await Redemption.get()
    plain = json.dumps({"recipient": "Mei Chen", "city": "Hangzhou"})
    mark = "?" if get_connection("default").capabilities.dialect == "sqlite" else "$1"
    await get_connection("default").execute_query(
        f'UPDATE "mall_redemption" SET "shipping_address" = {mark} WHERE "id" = {redemption.id}',
        [plain],
    )
    assert (await Redemption.get()).shipping_address == json.loads(plain)  # still reads
    assert await seal_rows(get_connection("default"), sealing.keyring(), rotate=False) == 1
    assert set(await stored(redemption.id)) == {"sealed"}
    assert (await Redemption.get()).shipping_address == json.loads(plain)
