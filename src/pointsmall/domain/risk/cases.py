"""Cases: what a rule found, grouped by rule and subject (see `decisions` for how they
are decided)."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError

from pointsmall import clock, sql
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
                opened = await RiskCase.create(
                    rule_code=rule.code,
                    rule_version=rule.version,
                    subject=subject,
                    action=rule.action,
                    account_ids=sorted(set(account_ids)),
                    detail=detail[:500],
                    created_at=now,
                )
            events.after_commit(events.ReviewQueued("case", opened.id))
            return opened
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


async def listed(status: CaseStatus | None, account_id: int | None, limit: int) -> list[RiskCase]:
    """Cases, oldest first: of a status (None: any), about an account (None: anyone)."""
    query = RiskCase.all() if status is None else RiskCase.filter(status=status)
    if account_id is not None:
        about = (
            'EXISTS (SELECT 1 FROM json_each("risk_case"."account_ids") WHERE "value" = $1)'
            if sql.on_sqlite()
            else '"account_ids" @> to_jsonb($1::bigint)'
        )
        rows = await sql.fetch(f'SELECT "id" FROM "risk_case" WHERE {about}', account_id)
        query = query.filter(id__in=[int(row["id"]) for row in rows])
    return await query.order_by("id").limit(limit)
