"""Per-request batch loaders: one instance of each per request, created in the context."""

from __future__ import annotations

from dataclasses import dataclass, field

from pointsmall.dataloaders.accounts import AccountByIdLoader, PointsByAccountLoader


@dataclass
class Loaders:
    account_by_id: AccountByIdLoader = field(default_factory=AccountByIdLoader)
    points_by_account: PointsByAccountLoader = field(default_factory=PointsByAccountLoader)
