"""Items, redemptions and what hangs on them, loaded in batches for one operation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from pointsmall import clock
from pointsmall.dataloaders.ledger import AccountById
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.eligibility import audiences_seen_by
from pointsmall.domain.mall.redemptions import redemptions_page
from pointsmall.models import (
    CouponCode,
    Item,
    QuotaUsage,
    Redemption,
    RedemptionChange,
    RedemptionStatus,
)

QuotaKey = tuple[int, int, str]  # account id, item id, period


async def _items(ids: Sequence[int]) -> list[Item | None]:
    found = {item.id: item for item in await Item.filter(id__in=list(ids))}
    return [found.get(item_id) for item_id in ids]


async def _redemptions(ids: Sequence[int]) -> list[Redemption | None]:
    found = {row.id: row for row in await Redemption.filter(id__in=list(ids))}
    return [found.get(redemption_id) for redemption_id in ids]


async def _codes(redemption_ids: Sequence[int]) -> list[list[str]]:
    codes: dict[int, list[str]] = defaultdict(list)
    for code in await CouponCode.filter(redemption_id__in=list(redemption_ids)).order_by("id"):
        assert code.redemption_id is not None
        codes[code.redemption_id].append(code.code)
    return [codes[redemption_id] for redemption_id in redemption_ids]


async def _history(redemption_ids: Sequence[int]) -> list[list[RedemptionChange]]:
    changes: dict[int, list[RedemptionChange]] = defaultdict(list)
    rows = await RedemptionChange.filter(redemption_id__in=list(redemption_ids)).order_by("id")
    for change in rows:
        changes[change.redemption_id].append(change)
    return [changes[redemption_id] for redemption_id in redemption_ids]


async def _quota_used(keys: Sequence[QuotaKey]) -> list[int]:
    accounts = {account_id for account_id, _, _ in keys}
    items = {item_id for _, item_id, _ in keys}
    rows = await QuotaUsage.filter(account_id__in=list(accounts), item_id__in=list(items))
    used = {(row.account_id, row.item_id, row.period): row.used for row in rows}
    return [used.get(key, 0) for key in keys]


@dataclass(frozen=True)
class RedemptionsPage:
    account_id: int | None  # None: everyone's (ops)
    status: RedemptionStatus | None
    before_id: int | None
    limit: int


async def _pages(pages: Sequence[RedemptionsPage]) -> list[list[Redemption]]:
    return [
        await redemptions_page(
            account_id=page.account_id,
            status=page.status,
            before_id=page.before_id,
            limit=page.limit,
        )
        for page in pages
    ]


class ItemById(DataLoader[int, Item | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_items)


class RedemptionById(DataLoader[int, Redemption | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=_redemptions)


class CouponCodesByRedemption(DataLoader[int, list[str]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_codes)


class HistoryByRedemption(DataLoader[int, list[RedemptionChange]]):
    """Each redemption's status changes, oldest first."""

    def __init__(self) -> None:
        super().__init__(load_fn=_history)


class QuotaUsed(DataLoader[QuotaKey, int]):
    """Units a user has redeemed of an item in a quota period."""

    def __init__(self) -> None:
        super().__init__(load_fn=_quota_used)


class RedemptionPages(DataLoader[RedemptionsPage, list[Redemption]]):
    def __init__(self) -> None:
        super().__init__(load_fn=_pages)


class AudiencesByAccount(DataLoader[int, set[int]]):
    """Which audiences of the catalogue's items each user belongs to (their exclusive items)."""

    def __init__(self, accounts: AccountById, rules: LedgerRules) -> None:
        super().__init__(load_fn=self._audiences)
        self.accounts = accounts
        self.rules = rules

    async def _audiences(self, ids: Sequence[int]) -> list[set[int]]:
        now = clock.now()
        return [
            await audiences_seen_by(account, now, self.rules)
            for account in await self.accounts.load_many(ids)
        ]


@dataclass
class MallLoaders:
    item: ItemById
    redemption: RedemptionById
    coupon_codes: CouponCodesByRedemption
    history: HistoryByRedemption
    quota_used: QuotaUsed
    redemption_pages: RedemptionPages
    audiences: AudiencesByAccount

    @classmethod
    def create(cls, accounts: AccountById, rules: LedgerRules) -> MallLoaders:
        return cls(
            ItemById(),
            RedemptionById(),
            CouponCodesByRedemption(),
            HistoryByRedemption(),
            QuotaUsed(),
            RedemptionPages(),
            AudiencesByAccount(accounts, rules),
        )
