"""Audience rules: a small typed expression tree over who a user is.

A rule is `all` / `any` / `not` over conditions: a tag, a lifecycle segment, an RFM
segment or score ranges, a tier and above, registered within N days, N or more paid
orders in the last D days, spent at least an amount in the last D days, a balance of at
least N points, a time zone, a custom attribute. It is stored as JSON, the same shape as
its GraphQL input:

    {"all": [{"tierAtLeast": "Gold"}, {"not": {"segment": ["DORMANT", "CHURNED"]}}]}

It is decided two ways that must agree (a property test holds them to it):

- for one user, in Python over their account row and one aggregate of their orders
  (`facts_of`: one statement whatever the rule, so O(1) queries a user);
- for everyone at once, as one SQL condition over the account table (`condition`), for a
  preview's count and sample or a batch.

Every condition is strictly true or false, also in SQL (`COALESCE(..., FALSE)`), so `not`
means the same on both sides when a column is null (no RFM scores yet).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pointsmall import sql
from pointsmall.domain.audience.lifecycle import registered
from pointsmall.domain.audience.tier_rules import TierRules
from pointsmall.domain.errors import InvalidValue
from pointsmall.domain.ledger.accounts import ATTRIBUTE_NAME
from pointsmall.models import Account, RfmSegment, Segment

MAX_NODES = 50
MAX_DEPTH = 6
MAX_DAYS = 3_650
SCORES = ("recency", "frequency", "monetary")

Rule = dict[str, Any]  # the JSON form, checked by `checked_rule`


def checked_rule(rule: Rule, tiers: TierRules, field: str = "rule") -> Rule:
    """The rule, normalised (lists sorted, names canonical), or `InvalidValue` saying what
    is wrong with it and where."""
    count = [0]
    return _checked(rule, tiers, field, 1, count)


def _checked(rule: Rule, tiers: TierRules, at: str, depth: int, count: list[int]) -> Rule:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise InvalidValue(f"a rule has at most {MAX_NODES} parts", field="rule")
    if depth > MAX_DEPTH:
        raise InvalidValue(f"a rule nests at most {MAX_DEPTH} deep", field="rule")
    given = {key: value for key, value in rule.items() if value is not None}
    if len(given) != 1:
        raise InvalidValue(f"{at}: give exactly one of all, any, not or a condition", field="rule")
    ((key, value),) = given.items()
    match key:
        case "all" | "any":
            if not value:
                raise InvalidValue(f"{at}.{key}: list at least one rule", field="rule")
            return {
                key: [
                    _checked(part, tiers, f"{at}.{key}[{index}]", depth + 1, count)
                    for index, part in enumerate(value)
                ]
            }
        case "not":
            return {key: _checked(value, tiers, f"{at}.not", depth + 1, count)}
        case "tag":
            tag = str(value).strip().lower()
            if not tag or len(tag) > 32:
                raise InvalidValue(f"{at}.tag: a tag of 1 to 32 characters", field="rule")
            return {key: tag}
        case "segment":
            return {key: _names(value, Segment, f"{at}.segment")}
        case "rfmSegment":
            return {key: _names(value, RfmSegment, f"{at}.rfmSegment")}
        case "rfmScore":
            ranges = {}
            for score in SCORES:
                bounds = value.get(score)
                if bounds is None:
                    continue
                low, high = bounds.get("min") or 1, bounds.get("max") or 5
                if not 1 <= low <= high <= 5:
                    raise InvalidValue(f"{at}.rfmScore.{score}: 1 <= min <= max <= 5", field="rule")
                ranges[score] = {"min": low, "max": high}
            if not ranges:
                raise InvalidValue(
                    f"{at}.rfmScore: give a range of at least one score", field="rule"
                )
            return {key: ranges}
        case "tierAtLeast":
            tier = tiers.named(str(value))
            if tier is None:
                names = ", ".join(tier.name for tier in tiers.tiers)
                raise InvalidValue(f"{at}.tierAtLeast: one of {names}", field="rule")
            return {key: tier.name}
        case "registeredWithinDays":
            return {key: _days(value, f"{at}.registeredWithinDays")}
        case "paidOrders" | "spent":
            at_least = value.get("atLeast")
            if not isinstance(at_least, int) or not 1 <= at_least <= 10**12:
                raise InvalidValue(f"{at}.{key}.atLeast: a whole number from 1", field="rule")
            return {
                key: {
                    "atLeast": at_least,
                    "withinDays": _days(value.get("withinDays"), f"{at}.{key}.withinDays"),
                }
            }
        case "balanceAtLeast":
            if not isinstance(value, int) or not 1 <= value <= 10**12:
                raise InvalidValue(f"{at}.balanceAtLeast: a whole number from 1", field="rule")
            return {key: value}
        case "timeZone":
            zones = sorted({str(zone) for zone in value})
            if not zones or any(not zone or len(zone) > 64 for zone in zones):
                raise InvalidValue(f"{at}.timeZone: list IANA time zones", field="rule")
            return {key: zones}
        case "attribute":
            name, wanted = value.get("name"), value.get("value")
            if not isinstance(name, str) or not ATTRIBUTE_NAME.match(name):
                raise InvalidValue(
                    f"{at}.attribute.name: a name such as city (a-z, 0-9, _)", field="rule"
                )
            if not isinstance(wanted, str) or len(wanted) > 200:
                raise InvalidValue(f"{at}.attribute.value: up to 200 characters", field="rule")
            return {key: {"name": name, "value": wanted}}
    raise InvalidValue(f"{at}: {key} is no rule", field="rule")


def _names(value: Any, kind: type[Segment] | type[RfmSegment], at: str) -> list[str]:
    names = sorted({str(name) for name in value or []})
    known = {member.value for member in kind}
    if not names or not set(names) <= known:
        raise InvalidValue(f"{at}: list some of {', '.join(known)}", field="rule")
    return names


def _days(value: Any, at: str) -> int:
    if not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise InvalidValue(f"{at}: a number of days from 1 to {MAX_DAYS}", field="rule")
    return value


# -- One user -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What rules are decided on for one user: the account row, and for each window their
    paid orders and what they spent (net of refunds)."""

    account: Account
    orders: dict[int, int]  # within days: paid orders
    spent: dict[int, int]  # within days: amount spent, minor units


def windows(rules: list[Rule]) -> set[int]:
    """The order windows (in days) the rules look at."""
    return {
        part[key]["withinDays"]
        for rule in rules
        for part in _parts(rule)
        for key in ("paidOrders", "spent")
        if key in part
    }


def _parts(rule: Rule) -> Iterator[Rule]:
    yield rule
    for key in ("all", "any"):
        for part in rule.get(key, []):
            yield from _parts(part)
    if "not" in rule:
        yield from _parts(rule["not"])


async def facts_of(accounts: list[Account], days: set[int], now: datetime) -> dict[int, Facts]:
    """The facts of some users for rules looking at these windows: one statement (none if
    no rule looks at orders)."""
    found: dict[int, tuple[dict[int, int], dict[int, int]]] = {
        account.id: ({day: 0 for day in days}, {day: 0 for day in days}) for account in accounts
    }
    if days and accounts:
        ordered = sorted(days)
        columns = ", ".join(
            f'SUM(CASE WHEN "paid_at" > ${index + 1} THEN 1 ELSE 0 END) AS "o{day}", '
            f'SUM(CASE WHEN "paid_at" > ${index + 1} THEN "amount" - "refunded_amount" '
            f'ELSE 0 END) AS "s{day}"'
            for index, day in enumerate(ordered)
        )
        among, params = sql.among(
            '"account_id"', [account.id for account in accounts], len(ordered) + 1
        )
        rows = await sql.fetch(
            f'SELECT "account_id", {columns} FROM "engagement_order" '
            f'WHERE "amount" > "refunded_amount" AND {among} GROUP BY "account_id"',
            *[now - timedelta(days=day) for day in ordered],
            *params,
        )
        for row in rows:
            orders, spent = found[int(row["account_id"])]
            for day in ordered:
                orders[day] = int(row[f"o{day}"] or 0)
                spent[day] = int(row[f"s{day}"] or 0)
    return {account.id: Facts(account, *found[account.id]) for account in accounts}


def holds(rule: Rule, facts: Facts, now: datetime, tiers: TierRules, default_zone: str) -> bool:
    """Whether the rule holds for the user of these facts."""
    account = facts.account
    ((key, value),) = rule.items()
    match key:
        case "all":
            return all(holds(part, facts, now, tiers, default_zone) for part in value)
        case "any":
            return any(holds(part, facts, now, tiers, default_zone) for part in value)
        case "not":
            return not holds(value, facts, now, tiers, default_zone)
        case "tag":
            return value in account.tags
        case "segment":
            return account.segment.value in value
        case "rfmSegment":
            return account.rfm_segment is not None and account.rfm_segment.value in value
        case "rfmScore":
            return all(
                (score := getattr(account, f"rfm_{name}")) is not None
                and bounds["min"] <= score <= bounds["max"]
                for name, bounds in value.items()
            )
        case "tierAtLeast":
            return bool(account.tier_level >= _level(value, tiers))
        case "registeredWithinDays":
            return bool(registered(account) > now - timedelta(days=value))
        case "paidOrders":
            return bool(facts.orders[value["withinDays"]] >= value["atLeast"])
        case "spent":
            return bool(facts.spent[value["withinDays"]] >= value["atLeast"])
        case "balanceAtLeast":
            return bool(account.ledger_balance - account.held >= value)
        case "timeZone":
            return bool((account.timezone or default_zone) in value)
        case "attribute":
            return bool(account.attributes.get(value["name"]) == value["value"])
    raise ValueError(f"unchecked rule {key}")


def _level(name: str, tiers: TierRules) -> int:
    tier = tiers.named(name)
    return tier.level if tier is not None else len(tiers.tiers)  # a tier since removed: none


# -- Everyone at once ---------------------------------------------------------------------


@dataclass
class Condition:
    """A rule as SQL over the account table (aliased `a`), its parameters numbered from 1."""

    params: list[Any]

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"


def condition(
    rule: Rule, now: datetime, tiers: TierRules, default_zone: str, params: list[Any]
) -> str:
    """The rule as one SQL condition over `"account" a`, adding its parameters to `params`."""
    return _sql(rule, now, tiers, default_zone, Condition(params))


def _sql(rule: Rule, now: datetime, tiers: TierRules, zone: str, out: Condition) -> str:
    ((key, value),) = rule.items()
    sqlite = sql.on_sqlite()
    false = "0" if sqlite else "FALSE"
    match key:
        case "all" | "any":
            joined = " AND " if key == "all" else " OR "
            return "(" + joined.join(_sql(part, now, tiers, zone, out) for part in value) + ")"
        case "not":
            return f"(NOT {_sql(value, now, tiers, zone, out)})"
        case "tag":
            if sqlite:
                found = (
                    f'EXISTS (SELECT 1 FROM json_each(a."tags") WHERE value = {out.param(value)})'
                )
            else:
                found = f'a."tags"::jsonb @> {out.param(json.dumps([value]))}::jsonb'
            return f"({found})"
        case "segment" | "rfmSegment":
            column = "segment" if key == "segment" else "rfm_segment"
            listed = ", ".join(out.param(name) for name in value)
            return f'COALESCE(a."{column}" IN ({listed}), {false})'
        case "rfmScore":
            checks = " AND ".join(
                f'a."rfm_{name}" BETWEEN {out.param(bounds["min"])} AND {out.param(bounds["max"])}'
                for name, bounds in value.items()
            )
            return f"COALESCE(({checks}), {false})"
        case "tierAtLeast":
            return f'(a."tier_level" >= {out.param(_level(value, tiers))})'
        case "registeredWithinDays":
            since = out.param(now - timedelta(days=value))
            return f'(COALESCE(a."registered_at", a."created_at") > {since})'
        case "paidOrders" | "spent":
            since = out.param(now - timedelta(days=value["withinDays"]))
            # A float sum: exact to 2^53 cents, and PostgreSQL's sum of bigints (numeric)
            # costs a preview over a million users a third more.
            measure = (
                "COUNT(*)"
                if key == "paidOrders"
                else 'SUM(CAST("amount" - "refunded_amount" AS DOUBLE PRECISION))'
            )
            return (
                '(a."id" IN (SELECT "account_id" FROM "engagement_order" '
                f'WHERE "amount" > "refunded_amount" AND "paid_at" > {since} '
                f'GROUP BY "account_id" HAVING {measure} >= {out.param(value["atLeast"])}))'
            )
        case "balanceAtLeast":
            return f'(a."ledger_balance" - a."held" >= {out.param(value)})'
        case "timeZone":
            listed = ", ".join(out.param(name) for name in value)
            return f'(COALESCE(a."timezone", {out.param(zone)}) IN ({listed}))'
        case "attribute":
            if sqlite:
                found = f"json_extract(a.\"attributes\", '$.' || {out.param(value['name'])})"
            else:
                found = f'a."attributes"::jsonb ->> {out.param(value["name"])}'
            return f"COALESCE({found} = {out.param(value['value'])}, {false})"
    raise ValueError(f"unchecked rule {key}")
