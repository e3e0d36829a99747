"""What live campaigns do to orders, check-ins and prices, for their participants.

Every point a campaign pays is charged to its budget first (`participation.charge`), in
the transaction of the action that earns it: when the budget runs out the campaign pays
no more (a partial payment takes exactly what was left), and the programme's own points
are paid as ever.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.expressions import F

from pointsmall.domain import events
from pointsmall.domain.actors import SYSTEM
from pointsmall.domain.campaigns.definitions import mechanics_of
from pointsmall.domain.campaigns.lifecycle import live_campaigns
from pointsmall.domain.campaigns.participation import affordable, charge, credit, participant_of
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Campaign, CheckIn, Item, Order, Participant


@dataclass(frozen=True)
class Taking:
    campaign: Campaign
    participant: Participant


async def taking_part(
    account: Account, now: datetime, rules: LedgerRules, kind: str | None = None
) -> list[Taking]:
    """The live campaigns (with a mechanic of `kind`, if given) the user takes part in."""
    found = []
    for campaign in await live_campaigns(now):
        if (
            kind is not None
            and not mechanics_of(campaign.mechanics, kind)
            and not (kind == "CHECK_IN_REWARDS" and campaign.variants)
        ):
            continue
        participant = await participant_of(campaign, account, now, rules)
        if participant is not None:
            found.append(Taking(campaign, participant))
    return found


async def order_extras(
    account: Account,
    lines: list[tuple[str, int]],
    now: datetime,
    rules: LedgerRules,
    *,
    preview: bool = False,
) -> list[int]:
    """Extra points per order line (category, points) from EARN_MULTIPLIER campaigns: the
    highest percent that applies to each line, charged to that campaign's budget (a
    `preview` reads what is left instead)."""
    best: list[tuple[int, Taking | None]] = [(100, None) for _ in lines]
    for taking in await taking_part(account, now, rules, "EARN_MULTIPLIER"):
        for mechanic in mechanics_of(taking.campaign.mechanics, "EARN_MULTIPLIER"):
            for index, (category, _) in enumerate(lines):
                applies = not mechanic["categories"] or category in mechanic["categories"]
                if applies and mechanic["percent"] > best[index][0]:
                    best[index] = (mechanic["percent"], taking)
    extras = [
        points * percent // 100 - points
        for (_, points), (percent, _) in zip(lines, best, strict=True)
    ]
    by_campaign: dict[int, list[int]] = {}
    takings: dict[int, Taking] = {}
    for index, (_, best_taking) in enumerate(best):
        if best_taking is not None and extras[index] > 0:
            by_campaign.setdefault(best_taking.campaign.id, []).append(index)
            takings[best_taking.campaign.id] = best_taking
    for campaign_id, indexes in by_campaign.items():
        wanted = sum(extras[index] for index in indexes)
        if preview:
            granted = budget_left(takings[campaign_id].campaign, wanted)
        else:
            granted = await charge(campaign_id, wanted)
            await credit(takings[campaign_id].participant, granted)
        left = granted
        for index in indexes:  # what the budget could not pay comes off the last lines
            extras[index] = min(extras[index], left)
            left -= extras[index]
    return extras


def budget_left(campaign: Campaign, wanted: int) -> int:
    """Of `wanted` points, what the campaign's budget has left (as last read)."""
    return affordable(campaign.budget_points, campaign.budget_spent, wanted)


async def after_order(account: Account, order: Order, now: datetime, rules: LedgerRules) -> None:
    """An order paid in a campaign's window counts for its ORDERS ranking and its order
    bonuses (the orders in the window counted only when a bonus asks)."""
    for taking in await taking_part(account, now, rules):
        campaign = taking.campaign
        if not campaign.starts_at <= order.paid_at < campaign.ends_at:
            continue  # paid before the window: the shop told us late
        if any(m["metric"] == "ORDERS" for m in mechanics_of(campaign.mechanics, "RANKING")):
            await score(taking.participant, 1, now)
        bonuses = [
            (index, bonus)
            for index, bonus in enumerate(mechanics_of(campaign.mechanics, "BONUS"))
            if bonus["trigger"] in ("FIRST_ORDER", "ORDERS")
        ]
        if not bonuses:
            continue
        orders = await Order.filter(
            account_id=account.id,
            paid_at__gte=campaign.starts_at,
            paid_at__lt=campaign.ends_at,
            amount__gt=F("refunded_amount"),
        ).count()
        for index, bonus in bonuses:
            if orders >= bonus["count"]:  # FIRST_ORDER: a count of 1
                await pay_bonus(taking, index, bonus["points"], rules)


async def after_check_in(account: Account, now: datetime, rules: LedgerRules) -> None:
    """A check-in counts for CHECK_INS rankings and check-in bonuses."""
    for taking in await taking_part(account, now, rules):
        campaign = taking.campaign
        if any(m["metric"] == "CHECK_INS" for m in mechanics_of(campaign.mechanics, "RANKING")):
            await score(taking.participant, 1, now)
        for index, bonus in enumerate(mechanics_of(campaign.mechanics, "BONUS")):
            if bonus["trigger"] == "CHECK_INS":
                made = await CheckIn.filter(
                    account_id=account.id, created_at__gte=campaign.starts_at
                ).count()
                if made >= bonus["count"]:
                    await pay_bonus(taking, index, bonus["points"], rules)


async def pay_bonus(taking: Taking, index: int, points: int, rules: LedgerRules) -> None:
    """A BONUS mechanic's points, once per user (the ledger key is the last guard)."""
    key = f"bonus:{index}"
    fresh = await Participant.get(id=taking.participant.id)
    if key in fresh.bonuses:
        return
    granted = await charge(taking.campaign.id, points)
    await Participant.filter(id=fresh.id).update(bonuses=[*fresh.bonuses, key])
    if granted:
        await credit(fresh, granted)
        await entries.earn(
            fresh.account_id,
            granted,
            LedgerRequest(
                SYSTEM,
                f"campaign:{taking.campaign.id}:{key}",
                f"{taking.campaign.name}: bonus",
                reference=f"campaign:{taking.campaign.id}",
            ),
            rules,
        )


async def score(participant: Participant, amount: int, now: datetime) -> None:
    """Add to a participant's ranking score; `scored_at` breaks ties (first there wins)."""
    await Participant.filter(id=participant.id).update(score=F("score") + amount, scored_at=now)


async def check_in_reward(
    account: Account, day: date, default: int, now: datetime, rules: LedgerRules
) -> tuple[int, Taking | None]:
    """The check-in reward a live campaign sets for the user (a variant's, or the
    campaign's schedule), charged to its budget; else the programme's `default`."""
    for taking in await taking_part(account, now, rules, "CHECK_IN_REWARDS"):
        reward = _campaign_reward(taking, account, day)
        if reward is None:
            continue
        granted = await charge(taking.campaign.id, reward)
        if granted < reward:
            return default, None  # the budget is spent: the programme's reward
        await credit(taking.participant, granted)
        return reward, taking
    return default, None


def _campaign_reward(taking: Taking, account: Account, day: date) -> int | None:
    campaign = taking.campaign
    variant = next((v for v in campaign.variants if v["name"] == taking.participant.variant), None)
    if variant is not None and variant["checkInReward"] is not None:
        low, high = int(variant["checkInReward"]["min"]), int(variant["checkInReward"]["max"])
        seed = hashlib.sha256(f"{campaign.id}:{account.user_id}:{day}".encode()).digest()
        return low + int.from_bytes(seed[:8], "big") % (high - low + 1)
    schedules = mechanics_of(campaign.mechanics, "CHECK_IN_REWARDS")
    if schedules:
        rewards = schedules[0]["rewards"]
        return int(rewards[(day - campaign.starts_at.date()).days % len(rewards)])
    return None


async def discounts(account: Account | None, now: datetime, rules: LedgerRules) -> list[Discount]:
    """The SPEND_DISCOUNTs of the live campaigns the user takes part in."""
    if account is None:
        return []
    return [
        Discount(mechanic["percent"], tuple(mechanic["categories"]))
        for taking in await taking_part(account, now, rules, "SPEND_DISCOUNT")
        for mechanic in mechanics_of(taking.campaign.mechanics, "SPEND_DISCOUNT")
    ]


@dataclass(frozen=True)
class Discount:
    percent: int
    categories: tuple[str, ...]  # empty: every category


def best_discount(found: list[Discount], item: Item) -> int:
    """The highest discount for the item's category, in percent (0: none)."""
    return max(
        (d.percent for d in found if not d.categories or item.category in d.categories), default=0
    )


async def discount_percent(
    account: Account | None, item: Item, now: datetime, rules: LedgerRules
) -> int:
    return best_discount(await discounts(account, now, rules), item)


def discounted(price: int, percent: int) -> int:
    """A price less `percent`, rounded up to a whole point (never below 1)."""
    return max(1, -(-price * (100 - percent) // 100))


async def score_points_issued(rules: LedgerRules, event: events.Event) -> None:
    """Points issued (or taken back) count for POINTS_EARNED rankings live at the time
    (after the commit, as the leaderboards do)."""
    if not isinstance(event, events.PointsIssued):
        return
    ranked = [
        campaign
        for campaign in await live_campaigns(event.at)
        if any(m["metric"] == "POINTS_EARNED" for m in mechanics_of(campaign.mechanics, "RANKING"))
    ]
    if not ranked:
        return
    account = await Account.get(id=event.account_id)
    for campaign in ranked:
        participant = await participant_of(campaign, account, event.at, rules)
        if participant is not None:
            await score(participant, event.amount, event.at)
