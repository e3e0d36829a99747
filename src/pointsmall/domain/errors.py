"""The few errors the domain raises. One place (schema/errors.py) turns them into `UserError`s."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    """Stable codes the apps switch on. Never rename; only add."""

    INVALID_VALUE = "INVALID_VALUE"
    NOT_FOUND = "NOT_FOUND"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    ACCOUNT_FROZEN = "ACCOUNT_FROZEN"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    INVALID_STATE = "INVALID_STATE"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    NOT_ON_SALE = "NOT_ON_SALE"
    ALREADY_CHECKED_IN = "ALREADY_CHECKED_IN"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    CAMPAIGN_FULL = "CAMPAIGN_FULL"
    NOT_OPEN = "NOT_OPEN"
    RISK_REFUSED = "RISK_REFUSED"


class DomainError(Exception):
    """A business rule said no. `field` names the input field at fault, if one is."""

    code: ErrorCode = ErrorCode.INVALID_VALUE

    def __init__(
        self, message: str, *, field: str | None = None, code: ErrorCode | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InvalidValue(DomainError):
    code = ErrorCode.INVALID_VALUE


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class InsufficientPoints(DomainError):
    code = ErrorCode.INSUFFICIENT_POINTS


class AccountFrozen(DomainError):
    code = ErrorCode.ACCOUNT_FROZEN


class IdempotencyConflict(DomainError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT


class InvalidState(DomainError):
    code = ErrorCode.INVALID_STATE


class NotEligible(DomainError):
    """Kept for others: an item, a campaign (an audience, a tier)."""

    code = ErrorCode.NOT_ELIGIBLE


class OutOfStock(DomainError):
    code = ErrorCode.OUT_OF_STOCK


class QuotaExceeded(DomainError):
    code = ErrorCode.QUOTA_EXCEEDED


class NotOnSale(DomainError):
    code = ErrorCode.NOT_ON_SALE
