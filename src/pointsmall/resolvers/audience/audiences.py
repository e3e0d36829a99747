"""audiences, audiencePreview, createAudience, updateAudience (admin)."""

from __future__ import annotations

from typing import Any

import strawberry

from pointsmall import access, clock
from pointsmall.auth import Role
from pointsmall.domain.audience import audiences as domain
from pointsmall.models import Audience as AudienceModel
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.audience.audiences import (
    Audience,
    AudiencePreview,
    AudienceRuleInput,
    CreateAudienceInput,
    CreateAudiencePayload,
    UpdateAudienceInput,
    UpdateAudiencePayload,
    rule_of,
)
from pointsmall.schema.context import Info
from pointsmall.schema.ledger.accounts import Account
from pointsmall.schema.node import id_of


async def audiences(info: Info) -> list[Audience]:
    """Every audience, by name."""
    access.require(info, Role.ADMIN)
    return [Audience.from_model(found) for found in await AudienceModel.all().order_by("name")]


async def audience_preview(info: Info, rule: AudienceRuleInput) -> AudiencePreview:
    """How many users a rule holds for now, and the first few (try a rule before saving)."""
    access.require(info, Role.ADMIN)
    runtime = info.context.runtime
    found = await domain.preview(rule_of(rule), clock.now(), runtime.rules)
    zone = runtime.settings.default_timezone
    return AudiencePreview(
        size=found.size, sample=[Account.from_model(account, zone) for account in found.sample]
    )


async def create_audience(info: Info, input: CreateAudienceInput) -> CreateAudiencePayload:
    access.require(info, Role.ADMIN)

    async def work() -> CreateAudiencePayload:
        created = await domain.create_audience(
            input.name, input.description, rule_of(input.rule), info.context.runtime.rules
        )
        return CreateAudiencePayload(audience=Audience.from_model(created))

    return await mutate(info, CreateAudiencePayload, work)


async def update_audience(info: Info, input: UpdateAudienceInput) -> UpdateAudiencePayload:
    access.require(info, Role.ADMIN)

    async def work() -> UpdateAudiencePayload:
        changes: dict[str, Any] = {}
        for name in ("name", "description"):
            value = getattr(input, name)
            if value is not strawberry.UNSET and value is not None:
                changes[name] = value
        if input.rule is not strawberry.UNSET and input.rule is not None:
            changes["rule"] = rule_of(input.rule)
        updated = await domain.update_audience(
            id_of(input.id, "id", "Audience"), changes, info.context.runtime.rules
        )
        return UpdateAudiencePayload(audience=Audience.from_model(updated))

    return await mutate(info, UpdateAudiencePayload, work)
