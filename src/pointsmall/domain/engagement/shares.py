"""Share links that earn points: for sharing (once per target, a few a day) and for every
other user who opens a link (once per opener, with a daily cap).

Tokens are unguessable (128 random bits). Every reward goes through the ledger under its
own key, and the sharer's account is locked while the caps are counted, so concurrent
shares and opens never pay over a cap.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.engagement import task_progress
from pointsmall.domain.engagement.rules import EngagementRules
from pointsmall.domain.errors import NotFound
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import lock_account, zone_of
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.replay import first_wins
from pointsmall.domain.risk import checks as risk_checks
from pointsmall.domain.wording import with_article
from pointsmall.models import Share, ShareOpen, ShareTarget, TaskEvent

OWN_TARGETS = (ShareTarget.ACHIEVEMENT, ShareTarget.INVITE)


def share_url(share: Share, rules: EngagementRules) -> str:
    return f"{rules.share_base_url}{share.token}"


async def share(
    account_id: int,
    target: ShareTarget,
    target_id: str,
    idempotency_key: str,
    actor: Actor,
    ledger_rules: LedgerRules,
    rules: EngagementRules,
) -> Share:
    """The user's link for a target (the same link when shared again), rewarded the first
    time a target is shared while the day's cap allows. `target_id` must already be
    checked by the caller (an item on sale, the user's own redemption, or "me")."""
    validation.idempotency_key(idempotency_key)

    async def make() -> Share:
        async with events.atomic():
            account = await lock_account(account_id)
            earlier = await Share.get_or_none(
                account_id=account_id, target=target, target_id=target_id
            )
            if earlier is not None:
                return earlier
            now = clock.now()
            today = now.astimezone(zone_of(account, ledger_rules.zone)).date()
            rewarded_today = await Share.filter(
                account_id=account_id, local_date=today, reward__gt=0
            ).count()
            reward = rules.share_reward if rewarded_today < rules.share_daily_cap else 0
            created = await Share.create(
                token=secrets.token_urlsafe(16),
                account_id=account_id,
                target=target,
                target_id=target_id,
                reward=reward,
                local_date=today,
                created_at=now,
            )
            if reward:
                await entries.earn(
                    account_id,
                    reward,
                    LedgerRequest(
                        actor,
                        f"share:{created.id}",
                        f"shared {with_article(target.value.lower())}",
                        reference=f"share:{created.id}",
                    ),
                    ledger_rules,
                )
            await task_progress.record_progress(
                account_id, TaskEvent.SHARE, now, ledger_rules, source=f"share:{created.id}"
            )
            return created

    # The same target shared concurrently: one link.
    return await first_wins(
        make,
        lambda: Share.get_or_none(account_id=account_id, target=target, target_id=target_id),
    )


@dataclass(frozen=True)
class Opened:
    share: Share
    reward: int  # what the sharer earned from this open (0: own link, seen, or capped)


async def open_share(
    opener_id: int,
    token: str,
    actor: Actor,
    ledger_rules: LedgerRules,
    rules: EngagementRules,
) -> Opened:
    """Count a link's open by another user (their device and network address, from the
    actor, go to the risk rules)."""
    token = (token or "").strip()
    well_formed = 0 < len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
    found = await Share.get_or_none(token=token) if well_formed else None
    if found is None:
        raise NotFound("no such share link", field="token")
    if found.account_id == opener_id:
        return Opened(found, 0)  # your own link earns nothing

    async def count_the_open() -> Opened:
        async with events.atomic():
            sharer = await lock_account(found.account_id)
            if await ShareOpen.exists(share_id=found.id, opener_id=opener_id):
                return Opened(found, 0)
            now = clock.now()
            today = now.astimezone(zone_of(sharer, ledger_rules.zone)).date()
            rewarded_today = await ShareOpen.filter(
                share__account_id=sharer.id, sharer_local_date=today, reward__gt=0
            ).count()
            reward = rules.share_open_reward if rewarded_today < rules.share_open_daily_cap else 0
            opened = await ShareOpen.create(
                share_id=found.id,
                opener_id=opener_id,
                reward=reward,
                sharer_local_date=today,
                created_at=now,
            )
            await risk_checks.after_share_open(opener_id, actor, now)
            if reward:
                await entries.earn(
                    sharer.id,
                    reward,
                    LedgerRequest(
                        actor,
                        f"share-open:{opened.id}",
                        "someone opened your link",
                        reference=f"share:{found.id}",
                    ),
                    ledger_rules,
                )
            return Opened(found, reward)

    async def already_counted() -> Opened:  # the same opener, concurrently: counted once
        return Opened(found, 0)

    return await first_wins(count_the_open, already_counted)
