"""The rules, evaluated in the transaction of the action they watch.

- A check-in records its device (a keyed hash) and counts the accounts that checked in
  from it within the window: at the threshold a case opens (and takes in every account
  seen since), exact, from the database.
- An earning by the user's own action (check-ins, shares, tasks: an entry whose actor is
  the user) counts what the account earned so within each velocity rule's window, this
  earning included: at the threshold the rule acts (HOLD: this earning's points stay
  pending until a case is decided). Orders (paid money, taken back by refunds), grants
  by the shop or ops and the system's gifts are not farming and are not counted.
- A ban refuses what it names until it ends.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from pointsmall import sql
from pointsmall.domain import wording
from pointsmall.domain.actors import Actor
from pointsmall.domain.errors import DomainError, ErrorCode
from pointsmall.domain.risk import cases
from pointsmall.domain.risk.rules import all_rules, rule
from pointsmall.models import (
    Account,
    Ban,
    BanScope,
    Blacklisted,
    BlacklistKind,
    RiskAction,
    RiskCase,
    RiskSignal,
)

HELD = datetime(9999, 1, 1, tzinfo=UTC)  # the availability of held points


class RiskRefused(DomainError):
    """Says nothing about the rule that refused."""

    code = ErrorCode.RISK_REFUSED


REFUSED = "this action is not available for this account at the moment"


def keyed_hash(value: str | None, secret: str) -> str | None:
    """A device id's, an address's or a network address's keyed hash (the value itself is
    never stored)."""
    if not value:
        return None
    digest = hmac.new(secret.encode(), value.strip()[:200].encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


async def after_check_in(account_id: int, actor: Actor, now: datetime) -> RiskCase | None:
    """Record the check-in's device and network address; a case when too many accounts
    share the device."""
    await refuse_if_listed(BlacklistKind.DEVICE, actor.device, now)
    await record(account_id, "CHECK_IN", actor.client, now)
    return await _watch(
        "DEVICE_CHECK_IN_ACCOUNTS", "CHECK_IN", "device", actor.device, account_id, now
    )


async def after_share_open(account_id: int, actor: Actor, now: datetime) -> RiskCase | None:
    """Record a share open's device and network address; a case when one device, or one
    address, opens too many links."""
    await refuse_if_listed(BlacklistKind.DEVICE, actor.device, now)
    by_client = await _watch(
        "SHARE_OPENS_ONE_CLIENT", "SHARE_OPEN", "client", actor.client, account_id, now
    )
    by_device = await _watch(
        "SHARE_OPENS_ONE_DEVICE", "SHARE_OPEN", "device", actor.device, account_id, now
    )
    return by_device or by_client


async def record_origin(account_id: int, action: str, actor: Actor, now: datetime) -> None:
    """Keep where the account's own action came from (its device, its network address):
    what a case's investigation reads. Only the account's own actions: the shop's or an
    operator's device says nothing about the user's."""
    for key in (actor.device, actor.client):
        await record(account_id, action, key, now)


async def own_action(account_id: int, action: str, actor: Actor, now: datetime) -> None:
    """An earning or a redemption by the account's own hand: refused from a blacklisted
    device, else kept with where it came from."""
    await refuse_if_listed(BlacklistKind.DEVICE, actor.device, now)
    await record_origin(account_id, action, actor, now)


async def after_first_order(account_id: int, device: str | None, now: datetime) -> None:
    """Record the device an account's first order came from (as the shop tells it); a case
    when too many accounts place their first order from one device (the first-order bonus
    farmed)."""
    await _watch("DEVICE_FIRST_ORDER_ACCOUNTS", "FIRST_ORDER", "device", device, account_id, now)


async def before_shipping(account_id: int, address: str, now: datetime) -> RiskCase | None:
    """Record a redemption's address (a keyed hash); a case when too many go to one."""
    await refuse_if_listed(BlacklistKind.ADDRESS, address, now)
    return await _watch("REDEMPTIONS_ONE_ADDRESS", "SHIP", "address", address, account_id, now)


async def before_high_value(account: Account, now: datetime) -> RiskCase | None:
    """A high-value redemption by a new account."""
    watched = await rule("NEW_ACCOUNT_HIGH_VALUE")
    if not watched.enabled or now - account.created_at >= timedelta(days=watched.threshold):
        return None
    if watched.action == RiskAction.REFUSE:
        raise RiskRefused(REFUSED)
    detail = f"a high-value redemption {(now - account.created_at).days} days after opening"
    return await cases.open_case(watched, f"account:{account.id}", [account.id], detail)


# Rules that count distinct accounts per key; the others count the actions.
BY_ACCOUNTS = {"DEVICE_CHECK_IN_ACCOUNTS", "DEVICE_FIRST_ORDER_ACCOUNTS"}


async def after_session(actor: Actor, now: datetime) -> None:
    """Record where a user's app session (a websocket) came from, when they have an
    account."""
    account = await Account.get_or_none(user_id=actor.user_id).only("id")
    if account is not None:
        await record_origin(account.id, "SESSION", actor, now)


async def record(account_id: int, action: str, key: str | None, now: datetime) -> None:
    """Keep a signal no rule counts yet (for cases and their investigation)."""
    if key is not None:
        await RiskSignal.create(account_id=account_id, action=action, device=key, created_at=now)


async def _watch(
    code: str, action: str, kind: str, key: str | None, account_id: int, now: datetime
) -> RiskCase | None:
    """Record the action with its key (a device's or an address's hash), then count, per
    the rule, the accounts or the actions of that key within the window."""
    if key is None:
        return None
    await RiskSignal.create(account_id=account_id, action=action, device=key, created_at=now)
    watched = await rule(code)
    if not watched.enabled:
        return None
    counted = 'COUNT(DISTINCT "account_id")' if code in BY_ACCOUNTS else "COUNT(*)"
    rows = await sql.fetch(
        f'SELECT {counted} AS "seen" FROM "risk_signal" WHERE "device" = $1 AND '
        '"action" = $2 AND "created_at" > $3',
        key,
        action,
        now - watched.window,
    )
    seen = int(rows[0]["seen"])
    if seen < watched.threshold:
        return None
    if watched.action == RiskAction.REFUSE:
        raise RiskRefused(REFUSED)
    accounts = (
        await RiskSignal.filter(device=key, action=action, created_at__gt=now - watched.window)
        .distinct()
        .values_list("account_id", flat=True)
    )
    what = action.lower().replace("_", " ")
    detail = f"{seen} {what}s from one {kind} within {wording.span(watched.window)}"
    ids = [int(str(account)) for account in accounts]
    return await cases.open_case(watched, f"{kind}:{key}", ids, detail)


async def on_earning(account_id: int, amount: int, now: datetime) -> RiskCase | None:
    """The velocity rules, this earning included; the case of the first that holds it."""
    for code in ("EARNING_VELOCITY_HOUR", "EARNING_VELOCITY_DAY"):
        watched = (await all_rules())[code]
        if not watched.enabled:
            continue
        rows = await sql.fetch(
            'SELECT COALESCE(SUM("amount"), 0) AS "earned" FROM "ledger_entry" WHERE '
            '"account_id" = $1 AND "kind" = \'EARN\' AND "actor_role" = \'user\' '
            'AND "created_at" > $2',
            account_id,
            now - watched.window,
        )
        earned = int(rows[0]["earned"]) + amount
        if earned < watched.threshold:
            continue
        if watched.action == RiskAction.REFUSE:
            raise RiskRefused(REFUSED)
        detail = f"{earned:,} points earned within {wording.span(watched.window)}"
        return await cases.open_case(watched, f"account:{account_id}", [account_id], detail)
    return None


async def active_ban(account_id: int, scope: BanScope, now: datetime) -> Ban | None:
    """The ban stopping this, if any: a ban naming it, or the user's blacklisting (which
    stops everything, as a ban of every scope would)."""
    for ban in await Ban.filter(account_id=account_id, until__gt=now, lifted_at__isnull=True):
        if scope.value in ban.scopes:
            return ban
    listed = await Blacklisted.filter(
        kind=BlacklistKind.USER, subject=str(account_id), until__gt=now
    ).first()
    if listed is not None:
        return Ban(
            account_id=account_id,
            scopes=[scope.value for scope in BanScope],
            until=listed.until,
            reason=listed.reason,
        )
    return None


async def refuse_if_listed(kind: BlacklistKind, subject: str | None, now: datetime) -> None:
    """A blacklisted device or address: refused, saying nothing of why."""
    if subject and await Blacklisted.exists(kind=kind, subject=subject, until__gt=now):
        raise RiskRefused(REFUSED)


async def refuse_if_banned(account_id: int, scope: BanScope, now: datetime) -> None:
    if await active_ban(account_id, scope, now) is not None:
        raise RiskRefused(REFUSED)


async def failed_redemption(account_id: int, now: datetime) -> None:
    """Count a refused redemption (the burst rule reads them)."""
    await RiskSignal.create(account_id=account_id, action="REDEEM_REFUSED", created_at=now)


async def refuse_if_bursting(account_id: int, now: datetime) -> None:
    watched = await rule("FAILED_REDEEM_BURST")
    if not watched.enabled or watched.action != RiskAction.REFUSE:
        return
    failures = await RiskSignal.filter(
        account_id=account_id, action="REDEEM_REFUSED", created_at__gt=now - watched.window
    ).count()
    if failures >= watched.threshold:
        raise RiskRefused(REFUSED)
