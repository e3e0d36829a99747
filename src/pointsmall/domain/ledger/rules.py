"""The programme's ledger rules, built once from the settings and passed to operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pointsmall.domain.audience.tier_rules import TierRules
from pointsmall.domain.ledger.expiry_policy import ExpiryPolicy, RollingExpiry


@dataclass(frozen=True)
class LedgerRules:
    expiry: ExpiryPolicy = RollingExpiry(days=365)
    zone: ZoneInfo = ZoneInfo("UTC")
    # Points a reversal gives back after their own lot expired stay spendable this long.
    reversal_grace: timedelta = timedelta(days=30)
    tiers: TierRules = field(default_factory=TierRules)  # earning moves a user up at once
    signal_key: str = "pointsmall"  # keys the hashes risk rules compare (addresses)

    def expires_at(self, available_at: datetime) -> datetime:
        """Expiry counts from when points become spendable, so pending never eats into it."""
        return self.expiry.expires_at(available_at, self.zone)
