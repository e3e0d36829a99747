"""Audiences: named rules (see `rules`) that items, tasks and campaigns are kept for.

Ops create and change them (`create_audience`, `update_audience`) and try a rule before
saving it (`preview`: how many users, and a sample, in two set-based statements). The mall
asks which of some audiences one user belongs to (`memberships`): two statements, however
many audiences.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from pointsmall import clock, sql
from pointsmall.domain import events, validation
from pointsmall.domain.audience import rules
from pointsmall.domain.audience.rules import Rule
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.models import Account, Audience

SAMPLE = 10


def _name(value: str) -> str:
    name = validation.text(value, "name", 120, required=True)
    assert name is not None
    return name


async def create_audience(
    name: str, description: str, rule: Rule, ledger_rules: LedgerRules
) -> Audience:
    checked = rules.checked_rule(rule, ledger_rules.tiers)
    now = clock.now()
    try:
        async with events.atomic():
            return await Audience.create(
                name=_name(name),
                description=validation.text(description, "description", 2_000) or "",
                rule=checked,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        raise InvalidValue(f"an audience is already named {name.strip()!r}", field="name") from None


async def update_audience(
    audience_id: int, changes: dict[str, Any], ledger_rules: LedgerRules
) -> Audience:
    """Change the name, description or rule (fields absent from `changes` are kept)."""
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = _name(changes["name"])
    if "description" in changes:
        values["description"] = validation.text(changes["description"], "description", 2_000) or ""
    if "rule" in changes:
        values["rule"] = rules.checked_rule(changes["rule"], ledger_rules.tiers)
    try:
        async with events.atomic():
            found = await Audience.select_for_update().get_or_none(id=audience_id)
            if found is None:
                raise NotFound("no such audience", field="id")
            if values:
                values["updated_at"] = clock.now()
                await Audience.filter(id=audience_id).update(**values)
                events.after_commit(events.AudienceChanged(audience_id))
    except IntegrityError:
        raise InvalidValue("an audience is already named so", field="name") from None
    return await Audience.get(id=audience_id)


@dataclass(frozen=True)
class Preview:
    size: int
    sample: list[Account]  # the first users, by account id


async def preview(
    rule: Rule, now: datetime, ledger_rules: LedgerRules, sample: int = SAMPLE
) -> Preview:
    """How many users a rule holds for now, and the first few: one set-based statement
    (the members found once, then counted and sampled)."""
    checked = rules.checked_rule(rule, ledger_rules.tiers)
    params: list[Any] = []
    where = rules.condition(checked, now, ledger_rules.tiers, ledger_rules.zone.key, params)
    rows = await sql.fetch(
        f'WITH "members" AS MATERIALIZED (SELECT a."id" FROM "account" a WHERE {where}) '
        'SELECT "account".*, (SELECT COUNT(*) FROM "members") AS "members_count" '
        'FROM "account" WHERE "id" IN '
        f'(SELECT "id" FROM "members" ORDER BY "id" LIMIT {int(sample)}) ORDER BY "id"',
        *params,
    )
    size = int(rows[0].pop("members_count")) if rows else 0
    for row in rows[1:]:
        row.pop("members_count")
    return Preview(size, [Account._init_from_db(**row) for row in rows])


async def member_ids(rule: Rule, now: datetime, ledger_rules: LedgerRules) -> set[int]:
    """Every account the rule holds for (a batch: campaigns, the property test)."""
    params: list[Any] = []
    where = rules.condition(rule, now, ledger_rules.tiers, ledger_rules.zone.key, params)
    rows = await sql.fetch(f'SELECT a."id" FROM "account" a WHERE {where}', *params)
    return {int(row["id"]) for row in rows}


async def memberships(
    account: Account, audience_ids: Iterable[int], now: datetime, ledger_rules: LedgerRules
) -> set[int]:
    """Which of these audiences the user belongs to: the audiences in one read, the user's
    orders in at most one more, however many audiences."""
    wanted = set(audience_ids)
    if not wanted:
        return set()
    found = await Audience.filter(id__in=list(wanted))
    days = rules.windows([audience.rule for audience in found])
    facts = (await rules.facts_of([account], days, now))[account.id]
    zone = ledger_rules.zone.key
    return {
        audience.id
        for audience in found
        if rules.holds(audience.rule, facts, now, ledger_rules.tiers, zone)
    }


async def existing_audience(audience_id: int | None) -> int | None:
    """The id, if it names an audience (None: everyone); `NotFound` otherwise."""
    if audience_id is not None and not await Audience.exists(id=audience_id):
        raise NotFound("no such audience", field="audienceId")
    return audience_id


async def is_member(
    account: Account, audience_id: int | None, now: datetime, ledger_rules: LedgerRules
) -> bool:
    """Whether the user may see what is kept for this audience (None: everyone)."""
    if audience_id is None:
        return True
    return audience_id in await memberships(account, [audience_id], now, ledger_rules)
