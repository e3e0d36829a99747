"""Cases: what a rule found, grouped by rule and subject (see `decisions` for how they
are decided)."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError

from pointsmall import clock
from pointsmall.domain import events
from pointsmall.domain.risk.rules import Rule
from pointsmall.models import CaseStatus, RiskCase, RiskSignal


async def open_case(rule: Rule, subject: str, account_ids: list[int], detail: str) -> RiskCase:
    """The open case of this rule and subject, with these accounts added; a new one if
    none is open. In the caller's transaction (the case row locked)."""
    now = clock.now()
    found = (
        await RiskCase.select_for_update()
        .filter(rule_code=rule.code, subject=subject, status=CaseStatus.OPEN)
        .first()
    )
    if found is None:
        try:
            async with events.atomic():  # a savepoint: a concurrent first may win
                return await RiskCase.create(
                    rule_code=rule.code,
                    rule_version=rule.version,
                    subject=subject,
                    action=rule.action,
                    account_ids=sorted(set(account_ids)),
                    detail=detail[:500],
                    created_at=now,
                )
        except IntegrityError:  # one open case per rule and subject (a partial index)
            found = (
                await RiskCase.select_for_update()
                .filter(rule_code=rule.code, subject=subject, status=CaseStatus.OPEN)
                .get()
            )
    merged = sorted(set(found.account_ids) | set(account_ids))
    if merged != found.account_ids:
        await RiskCase.filter(id=found.id).update(account_ids=merged, detail=detail[:500])
        found.account_ids = merged
    return found


async def recent_signals(account_ids: Sequence[int], limit: int) -> list[RiskSignal]:
    """What these accounts did lately and from where, newest first."""
    return (
        await RiskSignal.filter(account_id__in=list(account_ids))
        .order_by("-created_at", "-id")
        .limit(limit)
    )
