"""Risk control: signals of who acts from where, rules' settings, cases, bans."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from pointsmall.models.ledger import Account


class RiskAction(enum.StrEnum):
    FLAG = "FLAG"  # a case, nothing else
    HOLD = "HOLD"  # earnings stay pending until the case is decided
    FREEZE = "FREEZE"  # the account is frozen
    REFUSE = "REFUSE"  # the action is refused (RISK_REFUSED)


class CaseStatus(enum.StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class CaseDecision(enum.StrEnum):
    RELEASE = "RELEASE"  # held points become spendable, as they would have
    FORFEIT = "FORFEIT"  # held points are forfeited
    DISMISS = "DISMISS"  # nothing was wrong (held points released too)


class RiskRuleSetting(Model):
    """An admin's setting of a rule (its defaults are in `domain.risk.rules`)."""

    code = fields.CharField(max_length=40, primary_key=True)
    version = fields.IntField()
    threshold = fields.BigIntField()
    window_seconds = fields.IntField()
    action = fields.CharEnumField(RiskAction, max_length=16)
    enabled = fields.BooleanField()
    updated_by = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "risk_rule"


class RiskSignal(Model):
    """Who did what from where, kept only as long as the rules look back
    (`RISK_SIGNAL_DAYS`). `device` is a keyed hash, never the value itself: of a device
    id, of a shipping address, or (prefixed `ip:`) of a network address."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="risk_signals", on_delete=fields.RESTRICT
    )
    account_id: int
    action = fields.CharField(max_length=16)  # CHECK_IN, EARN, REDEEM...
    device = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "risk_signal"
        indexes = (("device", "action", "created_at"), ("created_at", "id"))


class RiskCase(Model):
    """What a rule found: one open case per rule and subject (a device, an account)."""

    id = fields.BigIntField(primary_key=True)
    rule_code = fields.CharField(max_length=40)
    rule_version = fields.IntField()
    subject = fields.CharField(max_length=96)  # device:<hash> or account:<id>
    status = fields.CharEnumField(CaseStatus, max_length=16, default=CaseStatus.OPEN)
    action = fields.CharEnumField(RiskAction, max_length=16)
    account_ids: fields.Field[list[int]] = fields.JSONField(default=list)
    detail = fields.CharField(max_length=500)
    decision = fields.CharEnumField(CaseDecision, max_length=16, null=True)
    note = fields.CharField(max_length=500, null=True)
    decided_by = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "risk_case"
        indexes = (("status", "id"), ("rule_code", "subject", "status"))


class BanScope(enum.StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    JOIN = "JOIN"


class Ban(Model):
    """A penalty with an end: the account may not earn, redeem or join campaigns until."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "pointsmall.Account", related_name="bans", on_delete=fields.RESTRICT
    )
    account_id: int
    scopes: fields.Field[list[str]] = fields.JSONField()
    until = fields.DatetimeField()
    reason = fields.CharField(max_length=500)
    banned_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    lifted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "risk_ban"
        indexes = (("account_id", "until"),)


class BlacklistKind(enum.StrEnum):
    USER = "USER"  # an account: no earning, redeeming or joining
    DEVICE = "DEVICE"  # nothing a user does from it: check-ins, share opens, earnings...
    ADDRESS = "ADDRESS"  # no redemption ships to it


class Blacklisted(Model):
    """A user, device or address refused until a date. Devices and addresses are kept as
    the keyed hashes the rules compare; a user by account."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(BlacklistKind, max_length=16)
    subject = fields.CharField(max_length=64)  # account id, or a keyed hash
    until = fields.DatetimeField()
    reason = fields.CharField(max_length=500)
    listed_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "risk_blacklist"
        indexes = (("kind", "subject", "until"),)
