"""Progress on tasks: counting events, paying tiers, claims, and taking back what an event
counted when it is undone (a refunded order, a refunded redemption).

Each counted event leaves a credit naming its source, and a user's progress in a period
is the replay of its credits in order, so taking an event back is: drop its credits,
replay the rest, and claw back (through the ledger, owed if already spent) the rewards
of tiers no longer reached. Everything runs in the transaction of the event that caused
it, with the account row locked, and each payment goes through the ledger under a key
of its own, so nothing is counted or paid twice, whatever the retries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from pointsmall import clock
from pointsmall.domain import events
from pointsmall.domain.actors import SYSTEM, Actor
from pointsmall.domain.engagement.tasks import (
    Tier,
    audiences_of,
    for_audience,
    get_task,
    is_open,
    period_of,
    reached,
    tiers_of,
)
from pointsmall.domain.errors import InvalidState, NotFound
from pointsmall.domain.ledger import corrections, entries
from pointsmall.domain.ledger.accounts import lock_account, zone_of
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.notifications import inbox
from pointsmall.domain.notifications.notices import TaskReachedNotice
from pointsmall.domain.replay import first_wins
from pointsmall.models import (
    Account,
    Allocation,
    Entry,
    EntryKind,
    Task,
    TaskCredit,
    TaskEvent,
    TaskProgress,
    TaskState,
)


async def record_progress(
    account_id: int,
    event: TaskEvent,
    at: datetime,
    rules: LedgerRules,
    *,
    source: str,
    amount: int | None = None,
    custom: str | None = None,
) -> None:
    """Count an event that happened `at` towards the user's tasks open then, in the window
    it fell in; `source` names the event (`order:<id>`...) so it can be taken back. Call
    inside the event's transaction."""
    account = await lock_account(account_id)
    now = clock.now()
    candidates = await Task.filter(state=TaskState.ACTIVE, event=event)
    zone = zone_of(account, rules.zone)
    members = await audiences_of(account, candidates, now, rules)
    for task in candidates:
        if not is_open(task, at) or not for_audience(task, members):
            continue
        if event == TaskEvent.CUSTOM and task.custom_event != (custom or "").upper():
            continue
        if task.min_order_amount is not None and (amount or 0) < task.min_order_amount:
            continue
        progress = await _progress_row(account.id, task, period_of(task, at, zone), now)
        day = at.astimezone(zone).date()
        credit = await TaskCredit.create(
            progress_id=progress.id, source=source, local_day=day, created_at=now
        )
        current, last_day = _counted(task, progress.current, progress.last_day, day)
        if (current, last_day) == (progress.current, progress.last_day):
            continue  # a consecutive-days task had that day already
        progress.current, progress.last_day = current, last_day
        await TaskProgress.filter(id=progress.id).update(
            current=current, last_day=last_day, updated_at=now
        )
        newly = _newly_reached(task, progress)
        if newly is not None:
            await inbox.notify(
                account.id,
                TaskReachedNotice(task.id, task.title, newly.reward),
                # per credit: a tier reached again after a refund took it back is told again
                dedupe_key=f"task:{task.id}:{progress.period}:{newly.target}:{credit.id}",
            )
        if task.auto_claim:
            key = f"task:{task.id}:{progress.period}:credit:{credit.id}"
            await _pay_tiers(account, task, progress, rules, SYSTEM, key)


def _counted(task: Task, current: int, last_day: date | None, day: date) -> tuple[int, date | None]:
    """The progress after one more event on `day`."""
    if not task.consecutive_days:
        return current + 1, last_day
    if last_day is not None and day <= last_day:
        return current, last_day  # that day counted already (or a late event of an earlier day)
    return (current + 1 if last_day == day - timedelta(days=1) else 1), day


async def withdraw_progress(
    account_id: int,
    source: str,
    actor: Actor,
    *,
    still_counts: Callable[[Task], bool] = lambda task: False,
) -> None:
    """Take back what `source` counted towards tasks where it no longer counts (a refunded
    order, or one refunded below a task's minimum amount): the progress is the replay of
    the other credits, and rewards of tiers no longer reached are clawed back. Call inside
    the undoing transaction, the account locked."""
    credits = await TaskCredit.filter(source=source, progress__account_id=account_id)
    for progress_id in sorted({credit.progress_id for credit in credits}):
        progress = await TaskProgress.get(id=progress_id)
        task = await Task.get(id=progress.task_id)
        if still_counts(task):
            continue
        await TaskCredit.filter(progress_id=progress_id, source=source).delete()
        current, last_day, best = 0, None, 0
        for credit in await TaskCredit.filter(progress_id=progress_id).order_by("id"):
            current, last_day = _counted(task, current, last_day, credit.local_day)
            best = max(best, current)  # a streak broken later still reached what it reached
        now_reached = reached(task, best)
        reference = f"task:{task.id}:{progress.period}"
        paid, reward_lot = await _payments(account_id, reference)
        owed_back = min(  # never more than was paid (ops may have raised a reward since)
            sum(tier.reward for tier in tiers_of(task)[now_reached : progress.tiers_paid]), paid
        )
        await TaskProgress.filter(id=progress_id).update(
            current=current,
            last_day=last_day,
            tiers_paid=min(progress.tiers_paid, now_reached),
            updated_at=clock.now(),
        )
        if owed_back > 0:
            await corrections.clawback(
                account_id,
                owed_back,
                LedgerRequest(
                    actor,
                    f"{reference}:undone:{source}",
                    f"task: {task.title}: {source.split(':')[0]} undone"[:500],
                    reference=reference,
                ),
                first_from_lot=reward_lot,
            )


async def _payments(account_id: int, reference: str) -> tuple[int, int | None]:
    """What a task's period has paid the user, less what was clawed back (taken or owed),
    and the lot of its latest reward: what a clawback takes from first."""
    entries = await Entry.filter(
        account_id=account_id, reference=reference, kind__in=(EntryKind.EARN, EntryKind.CLAWBACK)
    ).order_by("id")
    paid = sum(
        entry.amount if entry.kind == EntryKind.EARN else entry.amount - entry.debt_change
        for entry in entries
    )
    rewards = [entry for entry in entries if entry.kind == EntryKind.EARN]
    if not rewards:
        return paid, None
    allocation = await Allocation.filter(entry_id=rewards[-1].id).first()
    return paid, allocation.lot_id if allocation else None


async def _progress_row(account_id: int, task: Task, period: str, now: datetime) -> TaskProgress:
    row = await TaskProgress.get_or_none(account_id=account_id, task_id=task.id, period=period)
    if row is not None:
        return row

    async def create() -> TaskProgress:
        async with events.atomic():  # a savepoint: the account lock makes a race unlikely
            return await TaskProgress.create(
                account_id=account_id,
                task_id=task.id,
                period=period,
                current=0,
                tiers_paid=0,
                updated_at=now,
            )

    return await first_wins(
        create,
        lambda: TaskProgress.get_or_none(account_id=account_id, task_id=task.id, period=period),
    )


def _newly_reached(task: Task, progress: TaskProgress) -> Tier | None:
    """The tier this very event reached, if it reached one."""
    return next((tier for tier in tiers_of(task) if tier.target == progress.current), None)


async def _pay_tiers(
    account: Account,
    task: Task,
    progress: TaskProgress,
    rules: LedgerRules,
    actor: Actor,
    key: str,
) -> int:
    """Pay the reached tiers not paid yet, in one entry; returns the points paid."""
    due = tiers_of(task)[progress.tiers_paid : reached(task, progress.current)]
    if not due:
        return 0
    points = sum(tier.reward for tier in due)
    await entries.earn(
        account.id,
        points,
        LedgerRequest(
            actor,
            key,
            f"task: {task.title}"[:500],
            reference=f"task:{task.id}:{progress.period}",
        ),
        rules,
    )
    progress.tiers_paid += len(due)
    await TaskProgress.filter(id=progress.id).update(tiers_paid=progress.tiers_paid)
    return points


async def claim(
    account_id: int, task_id: int, idempotency_key: str, actor: Actor, rules: LedgerRules
) -> int:
    """Pay what the user has reached and not been paid; a retry with the key pays nothing
    more and answers the same. The user's key lives in a namespace of its own in the
    ledger, so it can never collide with the system's keys (orders, refunds...)."""
    key = entries.caller_key(f"claim:{task_id}", idempotency_key)
    async with events.atomic():
        account = await lock_account(account_id)
        earlier = await Entry.get_or_none(account_id=account_id, idempotency_key=key)
        if earlier is not None:
            return int(earlier.amount)
        task = await get_task(task_id)
        if not for_audience(task, await audiences_of(account, [task], clock.now(), rules)):
            raise NotFound("no such task", field="taskId")
        if task.state == TaskState.ARCHIVED:
            raise InvalidState("this task was withdrawn")
        progress = await TaskProgress.get_or_none(
            account_id=account_id,
            task_id=task_id,
            period=period_of(task, clock.now(), zone_of(account, rules.zone)),
        )
        paid = await _pay_tiers(account, task, progress, rules, actor, key) if progress else 0
        if paid == 0:
            raise InvalidState("nothing to claim yet")
        return paid
