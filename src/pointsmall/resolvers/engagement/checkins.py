"""checkIn (user)."""

from __future__ import annotations

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.domain.engagement import checkins
from pointsmall.resolvers.payloads import mutate
from pointsmall.schema.context import Info
from pointsmall.schema.engagement.checkins import CheckIn, CheckInInput, CheckInPayload


async def check_in(info: Info, input: CheckInInput) -> CheckInPayload:
    account = await access.viewer_account(info)
    runtime = info.context.runtime

    async def work() -> CheckInPayload:
        done = await checkins.check_in(
            account.id,
            input.idempotency_key,
            info.context.actor(Role.USER),
            runtime.rules,
            runtime.engagement,
        )
        return CheckInPayload(check_in=CheckIn.from_model(done))

    return await mutate(info, CheckInPayload, work)
