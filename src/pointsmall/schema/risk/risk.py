"""Risk cases, rules and bans as ops see them; their inputs and payloads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

import strawberry
from strawberry import relay

from pointsmall.dataloaders.ledger import SignalsOf
from pointsmall.models import BanScope, BlacklistKind, CaseDecision, CaseStatus, RiskAction
from pointsmall.schema.context import Info
from pointsmall.schema.errors import BadUserInput, UserError
from pointsmall.schema.mall.redemptions import ShippingAddressInput

if TYPE_CHECKING:
    from pointsmall.domain.risk.rules import Rule
    from pointsmall.models import Ban as BanModel
    from pointsmall.models import RiskCase as RiskCaseModel
    from pointsmall.models import RiskSignal as RiskSignalModel

strawberry.enum(
    RiskAction,
    description="FLAG: a case. HOLD: earnings stay pending. FREEZE: the account. "
    "REFUSE: RISK_REFUSED, saying nothing of the rule.",
)
strawberry.enum(CaseStatus)
strawberry.enum(
    CaseDecision,
    description="RELEASE or DISMISS: held points become spendable as they would have. "
    "FORFEIT: they are forfeited.",
)
strawberry.enum(BanScope, description="What a ban stops.")
strawberry.enum(
    BlacklistKind,
    description="USER: no earning, redeeming or joining. DEVICE: no check-ins, share "
    "opens, earnings or redemptions by a user's own hand from it. ADDRESS: no redemption "
    "ships to it.",
)


MAX_SIGNALS = 200


def cut(key: str) -> str:
    """A keyed hash as ops see it: enough to tell two apart."""
    return f"{key[:8]}…"


@strawberry.type(description="What a risk rule found (admin).")
class RiskCase(relay.Node):
    id: relay.NodeID[int]
    rule: str
    rule_version: int
    subject: str = strawberry.field(
        description="account:<id>, or device:, address: or client:ip: and a hash, shown cut."
    )
    status: CaseStatus
    action: RiskAction
    detail: str
    decision: CaseDecision | None
    note: str | None
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None
    _account_ids: strawberry.Private[list[int]]

    @classmethod
    def from_model(cls, case: RiskCaseModel) -> Self:
        kind, _, key = case.subject.rpartition(":")
        # a hash shown cut: enough to tell two apart; an account as it is
        subject = case.subject if kind == "account" else f"{kind}:{cut(key)}"
        return cls(
            id=case.id,
            rule=case.rule_code,
            rule_version=case.rule_version,
            subject=subject,
            status=case.status,
            action=case.action,
            detail=case.detail,
            decision=case.decision,
            note=case.note,
            decided_by=case.decided_by,
            created_at=case.created_at,
            decided_at=case.decided_at,
            _account_ids=list(case.account_ids),
        )

    @strawberry.field(description="The users the case is about.")
    async def users(self, info: Info) -> list[str]:
        accounts = await info.context.loaders.ledger.account.load_many(self._account_ids)
        return [account.user_id for account in accounts if account is not None]

    @strawberry.field(
        description="What the case's users did lately and from where, newest first (the "
        "signals kept for `RISK_SIGNAL_DAYS`)."
    )
    async def signals(self, info: Info, first: int = 50) -> list[RiskSignal]:
        if not 1 <= first <= MAX_SIGNALS:
            raise BadUserInput(f"first must be from 1 to {MAX_SIGNALS}")
        loaders = info.context.loaders.ledger
        accounts = await loaders.account.load_many(self._account_ids)
        users = {account.id: account.user_id for account in accounts if account is not None}
        found = await loaders.signals.load(SignalsOf(tuple(users), first))
        return [RiskSignal.from_model(signal, users[signal.account_id]) for signal in found]


@strawberry.type(
    description="One action of a case's user and where it came from: a device, a network "
    "address (`ip:`) or, for a shipment, an address; keyed hashes shown cut (admin)."
)
class RiskSignal:
    user: str
    action: str
    source: str
    at: datetime

    @classmethod
    def from_model(cls, signal: RiskSignalModel, user: str) -> Self:
        key = signal.device or ""
        kind = "address" if signal.action == "SHIP" else "device"
        kind = "network" if key.startswith("ip:") else kind
        return cls(
            user=user,
            action=signal.action,
            source=f"{kind}:{cut(key.removeprefix('ip:'))}" if key else "none",
            at=signal.created_at,
        )


@strawberry.type(description="A risk rule as it stands (admin).")
class RiskRule:
    code: str
    description: str
    threshold: int
    window_seconds: int
    action: RiskAction
    enabled: bool
    version: int

    @classmethod
    def of(cls, rule: Rule) -> Self:
        return cls(
            code=rule.code,
            description=rule.description,
            threshold=rule.threshold,
            window_seconds=int(rule.window.total_seconds()),
            action=rule.action,
            enabled=rule.enabled,
            version=rule.version,
        )


@strawberry.type(description="A ban: what it stops, until when, and why (admin).")
class Ban:
    id: strawberry.ID
    scopes: list[BanScope]
    until: datetime
    reason: str
    banned_by: str
    created_at: datetime
    lifted_at: datetime | None

    @classmethod
    def from_model(cls, ban: BanModel) -> Self:
        return cls(
            id=strawberry.ID(str(ban.id)),
            scopes=[BanScope(scope) for scope in ban.scopes],
            until=ban.until,
            reason=ban.reason,
            banned_by=ban.banned_by,
            created_at=ban.created_at,
            lifted_at=ban.lifted_at,
        )


@strawberry.input
class ResolveRiskCaseInput:
    case_id: strawberry.ID
    decision: CaseDecision
    note: str


@strawberry.input(description="Fields left out stay as they are; the rule's version goes up.")
class UpdateRiskRuleInput:
    code: str
    threshold: int | None = None
    window_seconds: int | None = None
    action: RiskAction | None = None
    enabled: bool | None = None


@strawberry.input
class BanUserInput:
    user_id: str
    scopes: list[BanScope]
    until: datetime
    reason: str


@strawberry.input
class LiftBanInput:
    ban_id: strawberry.ID


@strawberry.type
class RiskCasePayload:
    case: RiskCase | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RiskRulePayload:
    rule: RiskRule | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class BanPayload:
    ban: Ban | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="A user id or device id in `value`, or an `address`.")
class BlacklistInput:
    kind: BlacklistKind
    until: datetime
    reason: str
    value: str | None = None
    address: ShippingAddressInput | None = None


@strawberry.type(description="A listing (admin): devices and addresses shown as a cut hash.")
class Blacklisting:
    id: strawberry.ID
    kind: BlacklistKind
    subject: str
    until: datetime
    reason: str


@strawberry.type
class BlacklistPayload:
    listing: Blacklisting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
