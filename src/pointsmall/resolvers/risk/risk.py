"""riskCases, riskCase, riskRules, bans; resolveRiskCase, updateRiskRule, banUser,
liftBan (admin)."""

from __future__ import annotations

import strawberry

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain.errors import InvalidValue, NotFound
from pointsmall.domain.ledger.accounts import find_account
from pointsmall.domain.mall.redemptions import address_key
from pointsmall.domain.risk import bans, cases, decisions, rules
from pointsmall.models import Ban as BanModel
from pointsmall.models import BlacklistKind, CaseStatus
from pointsmall.models import RiskCase as RiskCaseModel
from pointsmall.resolvers.mall.redemptions import shipping_address_of
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.context import Info
from pointsmall.schema.node import id_of
from pointsmall.schema.risk.risk import (
    Ban,
    BanPayload,
    BanUserInput,
    Blacklisting,
    BlacklistInput,
    BlacklistPayload,
    LiftBanInput,
    ResolveRiskCaseInput,
    RiskCase,
    RiskCasePayload,
    RiskRule,
    RiskRulePayload,
    UpdateRiskRuleInput,
    cut,
)

MAX_CASES = 200


async def risk_cases(
    info: Info, status: CaseStatus | None = CaseStatus.OPEN, user_id: str | None = None
) -> list[RiskCase]:
    """Cases, oldest first (the review queue), by default the open ones; with `userId`,
    those about that user."""
    access.require(info, Role.ADMIN)
    account_id = (await find_account(user_id)).id if user_id is not None else None
    found = await cases.listed(status, account_id, MAX_CASES)
    return [RiskCase.from_model(case) for case in found]


async def risk_case(info: Info, id: strawberry.ID) -> RiskCase | None:
    access.require(info, Role.ADMIN)
    found = await RiskCaseModel.get_or_none(id=id_of(id, "id", "RiskCase"))
    return RiskCase.from_model(found) if found else None


async def risk_rules(info: Info) -> list[RiskRule]:
    access.require(info, Role.ADMIN)
    return [RiskRule.of(rule) for rule in (await rules.all_rules()).values()]


async def bans_of(info: Info, user_id: str) -> list[Ban]:
    """A user's bans, newest first (admin)."""
    access.require(info, Role.ADMIN)
    account = await find_account(user_id)
    return [
        Ban.from_model(ban) for ban in await BanModel.filter(account_id=account.id).order_by("-id")
    ]


async def resolve_risk_case(info: Info, input: ResolveRiskCaseInput) -> RiskCasePayload:
    access.require(info, Role.ADMIN)

    async def work() -> RiskCasePayload:
        decided = await decisions.resolve_case(
            id_of(input.case_id, "caseId", "RiskCase"),
            input.decision,
            input.note,
            info.context.actor(Role.ADMIN),
        )
        return RiskCasePayload(case=RiskCase.from_model(decided))

    return await mutate(info, RiskCasePayload, work)


async def update_risk_rule(info: Info, input: UpdateRiskRuleInput) -> RiskRulePayload:
    access.require(info, Role.ADMIN)

    async def work() -> RiskRulePayload:
        changed = await rules.update_rule(
            input.code,
            info.context.actor(Role.ADMIN),
            threshold=input.threshold,
            window_seconds=input.window_seconds,
            action=input.action,
            enabled=input.enabled,
        )
        return RiskRulePayload(rule=RiskRule.of(changed))

    return await mutate(info, RiskRulePayload, work)


async def ban_user(info: Info, input: BanUserInput) -> BanPayload:
    access.require(info, Role.ADMIN)

    async def work() -> BanPayload:
        ban = await bans.ban_user(
            input.user_id, input.scopes, input.until, input.reason, info.context.actor(Role.ADMIN)
        )
        return BanPayload(ban=Ban.from_model(ban))

    return await mutate(info, BanPayload, work)


async def lift_ban(info: Info, input: LiftBanInput) -> BanPayload:
    access.require(info, Role.ADMIN)

    async def work() -> BanPayload:
        try:
            ban_id = int(str(input.ban_id))
        except ValueError:
            raise NotFound("no such ban", field="banId") from None
        return BanPayload(ban=Ban.from_model(await bans.lift_ban(ban_id)))

    return await mutate(info, BanPayload, work)


async def blacklist(info: Info, input: BlacklistInput) -> BlacklistPayload:
    access.require(info, Role.ADMIN)

    async def work() -> BlacklistPayload:
        if input.kind == BlacklistKind.ADDRESS:
            if input.address is None:
                raise InvalidValue("an ADDRESS listing gives the address", field="address")
            value = address_key(shipping_address_of(input.address).checked())
        else:
            if not input.value:
                raise InvalidValue("give the user id or device id", field="value")
            value = input.value
        listed = await bans.blacklist(
            input.kind,
            value,
            input.until,
            input.reason,
            info.context.actor(Role.ADMIN),
            info.context.runtime.rules.signal_key,
        )
        subject = listed.subject if listed.kind == BlacklistKind.USER else cut(listed.subject)
        return BlacklistPayload(
            listing=Blacklisting(
                id=strawberry.ID(str(listed.id)),
                kind=listed.kind,
                subject=subject,
                until=listed.until,
                reason=listed.reason,
            )
        )

    return await mutate(info, BlacklistPayload, work)
