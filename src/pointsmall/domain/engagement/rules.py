"""The engagement programme's rules, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from pointsmall.domain.audience.gifts import GiftRules
from pointsmall.domain.audience.lifecycle import LifecycleRules


@dataclass(frozen=True)
class EngagementRules:
    currency: str = "USD"  # orders in other currencies are refused
    points_per_currency_unit: int = 100  # 100 points = 1 unit (1.00) of the currency
    default_rate_basis_points: int = 100  # 1% for categories without a rate of their own
    order_points_cap: int = 100_000
    return_window: timedelta = timedelta(days=7)
    first_order_multiplier: int = 2
    check_in_rewards: tuple[int, ...] = (10, 10, 10, 10, 10, 10, 20)
    share_reward: int = 10
    share_daily_cap: int = 3
    share_open_reward: int = 5
    share_open_daily_cap: int = 10
    share_base_url: str = "https://mall.example.com/s/"
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)
    gifts: GiftRules = field(default_factory=GiftRules)

    def check_in_reward(self, streak: int) -> int:
        """Day 1 of a streak earns the first reward; the schedule repeats after its end."""
        return self.check_in_rewards[(streak - 1) % len(self.check_in_rewards)]
