"""The member tiers' definitions, from the settings (`TIERS`): names, thresholds, benefits."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Tier:
    level: int  # 0 for the first tier, then 1, 2...
    name: str
    threshold: int  # points earned in 12 months
    earn_percent: int = 100  # order points x earn_percent / 100
    check_in_bonus: int = 0  # points added to every check-in

    def benefits(self) -> list[str]:
        said = []
        if self.earn_percent != 100:
            said.append(f"Order points x{self.earn_percent / 100:g}")
        if self.check_in_bonus:
            said.append(f"+{self.check_in_bonus} points on every check-in")
        if self.level:
            said.append(f"Items and tasks for {self.name} members")
        return said


DEFAULT_TIERS = (
    Tier(0, "Silver", 0),
    Tier(1, "Gold", 5_000, 125, 5),
    Tier(2, "Platinum", 20_000, 150, 10),
)


@dataclass(frozen=True)
class TierRules:
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    review_notice: timedelta = field(default=timedelta(days=30))

    def tier_for(self, earned: int) -> Tier:
        return [tier for tier in self.tiers if earned >= tier.threshold][-1]

    def at(self, level: int) -> Tier:
        return self.tiers[min(level, len(self.tiers) - 1)]

    def named(self, name: str) -> Tier | None:
        return next((tier for tier in self.tiers if tier.name.lower() == name.lower()), None)

    def next_after(self, tier: Tier) -> Tier | None:
        return self.tiers[tier.level + 1] if tier.level + 1 < len(self.tiers) else None


def parse_tiers(value: str) -> tuple[Tier, ...]:
    """`Silver:0,Gold:5000:125:5,Platinum:20000:150:10`: name, threshold, then optionally
    the earning percent and the check-in bonus. The first threshold is 0, then rising."""
    tiers: list[Tier] = []
    for level, part in enumerate(value.split(",")):
        bits = [bit.strip() for bit in part.split(":")]
        if not 2 <= len(bits) <= 4 or not bits[0] or not all(bit.isdigit() for bit in bits[1:]):
            raise ValueError(f"{part!r} is not name:threshold[:earn percent[:check-in bonus]]")
        numbers = [int(bit) for bit in bits[1:]] + [100, 0][len(bits) - 2 :]
        tiers.append(Tier(level, bits[0], numbers[0], numbers[1], numbers[2]))
    if tiers[0].threshold != 0:
        raise ValueError("the first tier starts at 0 points")
    if any(later.threshold <= earlier.threshold for earlier, later in itertools.pairwise(tiers)):
        raise ValueError("tier thresholds rise from one tier to the next")
    if not all(100 <= tier.earn_percent <= 1_000 for tier in tiers):
        raise ValueError("an earning percent is from 100 to 1000")
    if len({tier.name.lower() for tier in tiers}) != len(tiers):
        raise ValueError("tier names are distinct")
    return tuple(tiers)
