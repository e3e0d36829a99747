"""Items, coupon codes and quota usage, batched per request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from pointsmall.models import CouponCode, Item, QuotaUsage

QuotaKey = tuple[int, int, str]  # account id, item id, period


async def _items(ids: Sequence[int]) -> list[Item | None]:
    found = {item.id: item for item in await Item.filter(id__in=list(ids))}
    return [found.get(item_id) for item_id in ids]


async def _codes(redemption_ids: Sequence[int]) -> list[list[str]]:
    codes: dict[int, list[str]] = defaultdict(list)
    for code in await CouponCode.filter(redemption_id__in=list(redemption_ids)).order_by("id"):
        assert code.redemption_id is not None
        codes[code.redemption_id].append(code.code)
    return [codes[redemption_id] for redemption_id in redemption_ids]


async def _quota_used(keys: Sequence[QuotaKey]) -> list[int]:
    accounts = {account_id for account_id, _, _ in keys}
    items = {item_id for _, item_id, _ in keys}
    rows = await QuotaUsage.filter(account_id__in=list(accounts), item_id__in=list(items))
    used = {(row.account_id, row.item_id, row.period): row.used for row in rows}
    return [used.get(key, 0) for key in keys]


class ItemByIdLoader(DataLoader[int, Item | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_items)


class CouponCodesByRedemptionLoader(DataLoader[int, list[str]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_codes)


class QuotaUsedLoader(DataLoader[QuotaKey, int]):
    """Units a user has redeemed of an item in a quota period."""

    def __init__(self) -> None:
        super().__init__(load_fn=_quota_used)
