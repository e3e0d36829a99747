"""The risk rules: what each watches, its threshold and window, and what it does.

Defaults live here; admins change a rule at run time (`update_rule`), which bumps its
version; a case records the rule's code and version that opened it. Settings are read at
most every few seconds per process (and at once after a change in this process).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from pointsmall import clock
from pointsmall.domain import validation
from pointsmall.domain.actors import Actor
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.models import RiskAction, RiskRuleSetting

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Rule:
    code: str
    description: str
    threshold: int
    window: timedelta
    action: RiskAction
    enabled: bool = True
    version: int = 0  # 0: the default, never changed


DEFAULTS = {
    rule.code: rule
    for rule in (
        Rule(
            "DEVICE_CHECK_IN_ACCOUNTS",
            "this many accounts checking in from one device within the window",
            20,
            timedelta(days=1),
            RiskAction.FLAG,
        ),
        Rule(
            "DEVICE_FIRST_ORDER_ACCOUNTS",
            "this many accounts placing their first order from one device within the window",
            5,
            timedelta(days=30),
            RiskAction.FLAG,
        ),
        Rule(
            "EARNING_VELOCITY_HOUR",
            "this many points earned by one account within the window (an hour)",
            5_000,
            timedelta(hours=1),
            RiskAction.HOLD,
        ),
        Rule(
            "EARNING_VELOCITY_DAY",
            "this many points earned by one account within the window (a day)",
            20_000,
            timedelta(days=1),
            RiskAction.HOLD,
        ),
        Rule(
            "SHARE_OPENS_ONE_DEVICE",
            "this many share links opened from one device within the window",
            30,
            timedelta(days=1),
            RiskAction.FLAG,
        ),
        Rule(
            "SHARE_OPENS_ONE_CLIENT",
            "this many share links opened from one network address within the window",
            100,
            timedelta(days=1),
            RiskAction.FLAG,
        ),
        Rule(
            "REDEMPTIONS_ONE_ADDRESS",
            "this many redemptions shipped to one address within the window",
            20,
            timedelta(days=7),
            RiskAction.FLAG,
        ),
        Rule(
            "NEW_ACCOUNT_HIGH_VALUE",
            "a high-value item redeemed by an account younger than this many days",
            7,
            timedelta(days=1),
            RiskAction.FLAG,
        ),
        Rule(
            "FAILED_REDEEM_BURST",
            "this many refused redemptions by one account within the window",
            10,
            timedelta(minutes=10),
            RiskAction.REFUSE,
        ),
    )
}


@dataclass
class _Cache:
    rules: dict[str, Rule]
    read_at: float = -1e9


_cache = _Cache(dict(DEFAULTS))


def forget_rules() -> None:
    _cache.read_at = -1e9


async def all_rules() -> dict[str, Rule]:
    if time.monotonic() - _cache.read_at > CACHE_SECONDS:
        rules = dict(DEFAULTS)
        for setting in await RiskRuleSetting.all():
            if setting.code in rules:
                rules[setting.code] = replace(
                    rules[setting.code],
                    threshold=int(setting.threshold),
                    window=timedelta(seconds=setting.window_seconds),
                    action=setting.action,
                    enabled=setting.enabled,
                    version=setting.version,
                )
        _cache.rules, _cache.read_at = rules, time.monotonic()
    return _cache.rules


async def rule(code: str) -> Rule:
    return (await all_rules())[code]


async def update_rule(
    code: str,
    actor: Actor,
    *,
    threshold: int | None = None,
    window_seconds: int | None = None,
    action: RiskAction | None = None,
    enabled: bool | None = None,
) -> Rule:
    """Change a rule at run time; its version goes up by one."""
    if code not in DEFAULTS:
        raise NotFound(f"no rule {code}", field="code")
    current = (await all_rules())[code]
    if threshold is not None:
        validation.whole_number(threshold, "threshold", 1, 10**12)
    if window_seconds is not None:
        validation.whole_number(window_seconds, "windowSeconds", 60, 366 * 86_400)
    if action == RiskAction.HOLD and not code.startswith("EARNING"):
        raise InvalidValue("HOLD is for the rules that watch earnings", field="action")
    values: dict[str, Any] = {
        "threshold": threshold if threshold is not None else current.threshold,
        "window_seconds": window_seconds
        if window_seconds is not None
        else int(current.window.total_seconds()),
        "action": action or current.action,
        "enabled": current.enabled if enabled is None else enabled,
        "version": current.version + 1,
        "updated_by": actor.user_id,
        "updated_at": clock.now(),
    }
    changed = await RiskRuleSetting.filter(code=code).update(**values)
    if not changed:
        await RiskRuleSetting.create(code=code, **values)
    forget_rules()
    return await rule(code)
