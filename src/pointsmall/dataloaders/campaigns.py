"""Campaigns' figures, experiments, rankings and participations, loaded per operation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from pointsmall import clock
from pointsmall.dataloaders.ledger import AccountById
from pointsmall.domain.campaigns import participation, settlement
from pointsmall.domain.campaigns.effects import Discount, discounts
from pointsmall.domain.campaigns.figures import (
    Comparison,
    Figures,
    VariantResult,
    experiment_of,
    figures_of,
)
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Campaign, CampaignChange, Participant


async def _figures(ids: Sequence[int]) -> list[Figures]:
    found = {c.id: c for c in await Campaign.filter(id__in=list(ids))}
    return [await figures_of(found[campaign_id]) for campaign_id in ids]


async def _experiments(
    ids: Sequence[int],
) -> list[tuple[list[VariantResult], list[Comparison]]]:
    found = {c.id: c for c in await Campaign.filter(id__in=list(ids))}
    return [await experiment_of(found[campaign_id]) for campaign_id in ids]


async def _leaders(keys: Sequence[tuple[int, int]]) -> list[list[Participant]]:
    return [await settlement.leaders(campaign_id, first) for campaign_id, first in keys]


async def _participations(keys: Sequence[tuple[int, int]]) -> list[Participant | None]:
    rows = await Participant.filter(
        campaign_id__in=[key[0] for key in keys], account_id__in=[key[1] for key in keys]
    )
    found = {(row.campaign_id, row.account_id): row for row in rows}
    return [found.get(key) for key in keys]


async def _histories(ids: Sequence[int]) -> list[list[CampaignChange]]:
    found: dict[int, list[CampaignChange]] = {campaign_id: [] for campaign_id in ids}
    for change in await CampaignChange.filter(campaign_id__in=list(ids)).order_by("id"):
        found[change.campaign_id].append(change)
    return [found[campaign_id] for campaign_id in ids]


async def _ranks(participants: Sequence[Participant]) -> list[int | None]:
    return [await settlement.rank_of(participant) for participant in participants]


class ShownCampaigns(DataLoader[int, list[tuple[Campaign, Participant | None]]]):
    """The campaigns shown to each user (`participation.shown_campaigns`)."""

    def __init__(self, accounts: AccountById, rules: LedgerRules) -> None:
        super().__init__(load_fn=self._shown)
        self.accounts = accounts
        self.rules = rules

    async def _shown(self, ids: Sequence[int]) -> list[list[tuple[Campaign, Participant | None]]]:
        now = clock.now()
        shown = []
        for account in await self.accounts.load_many(ids):
            assert account is not None
            shown.append(await participation.shown_campaigns(account, now, self.rules))
        return shown


class DiscountsByAccount(DataLoader[int, list[Discount]]):
    """The price discounts of the live campaigns each user takes part in."""

    def __init__(self, accounts: AccountById, rules: LedgerRules) -> None:
        super().__init__(load_fn=self._discounts)
        self.accounts = accounts
        self.rules = rules

    async def _discounts(self, ids: Sequence[int]) -> list[list[Discount]]:
        now = clock.now()
        return [
            await discounts(account, now, self.rules)
            for account in await self.accounts.load_many(ids)
        ]


@dataclass
class CampaignLoaders:
    figures: DataLoader[int, Figures]
    experiment: DataLoader[int, tuple[list[VariantResult], list[Comparison]]]
    leaders: DataLoader[tuple[int, int], list[Participant]]
    participation: DataLoader[tuple[int, int], Participant | None]  # (campaign, account)
    rank: DataLoader[Participant, int | None]
    shown: ShownCampaigns
    history: DataLoader[int, list[CampaignChange]]
    discounts: DiscountsByAccount

    @classmethod
    def create(cls, accounts: AccountById, rules: LedgerRules) -> CampaignLoaders:
        return cls(
            DataLoader(load_fn=_figures),
            DataLoader(load_fn=_experiments),
            DataLoader(load_fn=_leaders),
            DataLoader(load_fn=_participations),
            DataLoader(load_fn=_ranks, cache_key_fn=lambda participant: participant.id),
            ShownCampaigns(accounts, rules),
            DataLoader(load_fn=_histories),
            DiscountsByAccount(accounts, rules),
        )
