"""reviewQueued (admin): the review queue live, as cases open and redemptions wait."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from pointsmall import access
from pointsmall.auth import Role
from pointsmall.models import Redemption as RedemptionModel
from pointsmall.models import RiskCase as RiskCaseModel
from pointsmall.runtime import REVIEWS_CHANNEL
from pointsmall.schema.context import Info
from pointsmall.schema.mall.redemptions import Redemption
from pointsmall.schema.risk.reviews import Review
from pointsmall.schema.risk.risk import RiskCase
from pointsmall.subscriptions import messages
from pointsmall.subscriptions.feeds import follow


async def review_queued(info: Info) -> AsyncGenerator[Review, None]:
    """Each risk case as it opens and each redemption as it starts waiting for review;
    nothing first (read `riskCases` and `redemptions(status: PENDING_REVIEW)` for what
    waits already)."""

    async def open_feed() -> ReviewsFeed:
        access.require(info, Role.ADMIN)
        return ReviewsFeed()

    async for review in follow(info, open_feed):
        yield review


class ReviewsFeed:
    __slots__ = ()

    @property
    def channel(self) -> str:
        return REVIEWS_CHANNEL

    async def start(self) -> AsyncIterator[RiskCase | Redemption]:
        return
        yield  # nothing first: an async generator that sends nothing

    async def updates(self, arrived: list[str]) -> AsyncIterator[RiskCase | Redemption]:
        for text in arrived:
            message = messages.decode(text)
            if not isinstance(message, messages.Queued):
                continue  # a resync: the console reads the queue again when it reconnects
            if message.kind == "case":
                case = await RiskCaseModel.get_or_none(id=message.id)
                if case is not None:
                    yield RiskCase.from_model(case)
            elif message.kind == "redemption":
                redemption = await RedemptionModel.get_or_none(id=message.id)
                if redemption is not None:
                    yield Redemption.from_model(redemption)
