"""Deciding a case: release (or dismiss) or forfeit the points it held.

In one transaction, each account locked in turn, every held lot either becomes spendable
when it would have (or now, if that is past) or is forfeited through the ledger (a
FORFEIT entry drawing exactly those lots), so the books balance either way.
"""

from __future__ import annotations

from datetime import datetime

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.errors import InvalidState, InvalidValue, NotFound
from pointsmall.domain.ledger.accounts import lock_account
from pointsmall.domain.ledger.entries import Draw, LedgerRequest, post_entry
from pointsmall.models import CaseDecision, CaseStatus, Counterparty, EntryKind, Lot, RiskCase


async def resolve_case(case_id: int, decision: CaseDecision, note: str, actor: Actor) -> RiskCase:
    """Decide a case: release (or, dismissed, release too) or forfeit what it held."""
    note = validation.reason(note) or ""
    if not note:
        raise InvalidValue("a note says why", field="note")
    now = clock.now()
    async with events.atomic():
        case = await RiskCase.select_for_update().get_or_none(id=case_id)
        if case is None:
            raise NotFound("no such case", field="caseId")
        if case.status != CaseStatus.OPEN:
            raise InvalidState("this case was decided already")
        for account_id in case.account_ids:
            await _settle_held(account_id, case, decision, actor, now)
        await RiskCase.filter(id=case_id).update(
            status=CaseStatus.RESOLVED,
            decision=decision,
            note=note,
            decided_by=actor.user_id,
            decided_at=now,
        )
    return await RiskCase.get(id=case_id)


async def _settle_held(
    account_id: int, case: RiskCase, decision: CaseDecision, actor: Actor, now: datetime
) -> None:
    account = await lock_account(account_id)
    held = await Lot.filter(account_id=account_id, held_by_case_id=case.id)
    if not held:
        return
    if decision == CaseDecision.FORFEIT:
        draws = [Draw(lot.id, -lot.remaining) for lot in held if lot.remaining > 0]
        for lot in held:
            if lot.remaining > 0:
                await Lot.filter(id=lot.id).update(remaining=0)
        total = -sum(draw.amount for draw in draws)
        if total:
            await post_entry(
                account,
                LedgerRequest(actor, reason=f"risk case {case.id}: held points forfeited"),
                "",
                kind=EntryKind.FORFEIT,
                counterparty=Counterparty.FORFEITED,
                amount=-total,
                draws=draws,
                now=now,
            )
        await Lot.filter(account_id=account_id, held_by_case_id=case.id).update(
            held_by_case_id=None
        )
    else:
        for lot in held:
            matures = max(lot.matures_at or now, now)
            await Lot.filter(id=lot.id).update(available_at=matures, held_by_case_id=None)
    events.after_commit(events.AccountChanged(account_id))
