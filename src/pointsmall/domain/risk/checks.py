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
from datetime import datetime

from pointsmall import sql
from pointsmall.domain.errors import DomainError, ErrorCode
from pointsmall.domain.risk import cases
from pointsmall.domain.risk.rules import all_rules, rule
from pointsmall.models import Ban, BanScope, RiskAction, RiskCase, RiskSignal

HELD = datetime(9999, 1, 1).astimezone()  # the availability of held points


class RiskRefused(DomainError):
    """Says nothing about the rule that refused."""

    code = ErrorCode.RISK_REFUSED


REFUSED = "this action is not available for this account at the moment"


def device_of(device_id: str | None, secret: str) -> str | None:
    """The device's keyed hash (the id itself is never stored)."""
    if not device_id:
        return None
    digest = hmac.new(secret.encode(), device_id.strip()[:200].encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


async def after_check_in(account_id: int, device: str | None, now: datetime) -> RiskCase | None:
    """Record the check-in's device; a case when too many accounts share it."""
    if device is None:
        return None
    await RiskSignal.create(account_id=account_id, action="CHECK_IN", device=device, created_at=now)
    watched = await rule("DEVICE_CHECK_IN_ACCOUNTS")
    if not watched.enabled:
        return None
    rows = await sql.fetch(
        'SELECT DISTINCT "account_id" FROM "risk_signal" WHERE "device" = $1 AND '
        '"action" = \'CHECK_IN\' AND "created_at" > $2',
        device,
        now - watched.window,
    )
    accounts = [int(row["account_id"]) for row in rows]
    if len(accounts) < watched.threshold:
        return None
    detail = f"{len(accounts)} accounts checked in from one device within {watched.window}"
    return await cases.open_case(watched, f"device:{device}", accounts, detail)


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
        detail = f"{earned:,} points earned within {watched.window}"
        return await cases.open_case(watched, f"account:{account_id}", [account_id], detail)
    return None


async def active_ban(account_id: int, scope: BanScope, now: datetime) -> Ban | None:
    for ban in await Ban.filter(account_id=account_id, until__gt=now, lifted_at__isnull=True):
        if scope.value in ban.scopes:
            return ban
    return None


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
