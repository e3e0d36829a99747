"""Batch loaders, one set per operation: an HTTP request, or one subscription event.

Types resolve every relation through these (`info.context.loaders`), so a page of twenty
redemptions costs the same few queries as a page of two, and nothing read outlives the
operation that read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pointsmall.dataloaders.campaigns import CampaignLoaders
from pointsmall.dataloaders.engagement import EngagementLoaders
from pointsmall.dataloaders.ledger import LedgerLoaders
from pointsmall.dataloaders.mall import MallLoaders
from pointsmall.dataloaders.notifications import NotificationLoaders

if TYPE_CHECKING:
    from pointsmall.runtime import Runtime


@dataclass
class Loaders:
    ledger: LedgerLoaders
    mall: MallLoaders
    engagement: EngagementLoaders
    notifications: NotificationLoaders
    campaigns: CampaignLoaders

    @classmethod
    def create(cls, runtime: Runtime) -> Loaders:
        ledger = LedgerLoaders.create(runtime.rules.tiers)
        return cls(
            ledger=ledger,
            mall=MallLoaders.create(ledger.account, runtime.rules),
            engagement=EngagementLoaders.create(
                ledger.account, runtime.rules, runtime.engagement, runtime.leaderboards
            ),
            notifications=NotificationLoaders.create(),
            campaigns=CampaignLoaders.create(ledger.account, runtime.rules),
        )
