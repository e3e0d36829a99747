"""Notifications as clients see them: an interface, one type per kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from pointsmall.domain.engagement.task_views import task_view
from pointsmall.domain.errors import NotFound
from pointsmall.models import Notification as NotificationModel
from pointsmall.models import NotificationKind, RedemptionStatus
from pointsmall.models import Redemption as RedemptionModel
from pointsmall.schema.context import Info
from pointsmall.schema.engagement import Task
from pointsmall.schema.errors import UserError
from pointsmall.schema.node import parse_global_id
from pointsmall.schema.redemptions import Redemption


@strawberry.interface(description="Something the user is told about. More kinds may come.")
class Notification(relay.Node):
    id: relay.NodeID[int]
    created_at: datetime
    read: bool


@strawberry.type(description="Points came in (or pending order points became spendable).")
class PointsEarned(Notification):
    amount: int
    reason: str | None
    balance: int = strawberry.field(description="The spendable balance just after.")


@strawberry.type(description="Points will expire soon: use them or lose them.")
class PointsExpiringSoon(Notification):
    amount: int
    expires_at: datetime
    within_days: int = strawberry.field(description="The warning's threshold: 3, then 1 day.")


@strawberry.type(description="A redemption was made or changed status.")
class RedemptionUpdated(Notification):
    status: RedemptionStatus = strawberry.field(
        description="The status this notification announces (the redemption may have moved on)."
    )
    status_reason: str | None
    _redemption_id: strawberry.Private[int]

    @strawberry.field(description="The redemption as it is now.")
    async def redemption(self) -> Redemption:
        return Redemption.from_model(await RedemptionModel.get(id=self._redemption_id))


@strawberry.type(description="A task's tier was reached.")
class TaskCompleted(Notification):
    reward: int
    _task_id: strawberry.Private[int]
    _title: strawberry.Private[str]

    @strawberry.field(description="The task as the user sees it now.")
    async def task(self, info: Info) -> Task | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        seen = await task_view(viewer, self._task_id, info.context.runtime.rules)
        return Task.from_view(seen) if seen else None


def notification(
    notification_id: int,
    kind: str,
    payload: dict[str, Any],
    created_at: datetime,
    read: bool = False,
) -> Notification:
    """The GraphQL object for a stored notification (or the broker's copy of one)."""
    base: dict[str, Any] = {"id": notification_id, "created_at": created_at, "read": read}
    if kind == NotificationKind.POINTS_EARNED:
        return PointsEarned(
            **base,
            amount=int(payload["amount"]),
            reason=payload.get("reason"),
            balance=int(payload["balance"]),
        )
    if kind == NotificationKind.POINTS_EXPIRING_SOON:
        return PointsExpiringSoon(
            **base,
            amount=int(payload["amount"]),
            expires_at=datetime.fromisoformat(payload["expires_at"]),
            within_days=int(payload["within_days"]),
        )
    if kind == NotificationKind.REDEMPTION_UPDATED:
        return RedemptionUpdated(
            **base,
            status=RedemptionStatus(payload["status"]),
            status_reason=payload.get("reason"),
            _redemption_id=int(payload["redemption_id"]),
        )
    return TaskCompleted(
        **base,
        reward=int(payload["reward"]),
        _task_id=int(payload["task_id"]),
        _title=str(payload["title"]),
    )


def from_model(stored: NotificationModel) -> Notification:
    return notification(
        stored.id,
        stored.kind.value,
        stored.payload,
        stored.created_at,
        read=stored.read_at is not None,
    )


NOTIFICATION_TYPES = ("PointsEarned", "PointsExpiringSoon", "RedemptionUpdated", "TaskCompleted")
NotificationConnection = relay.Connection[Notification]


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="These ones.")
    all: bool = strawberry.field(default=False, description="Or all of them.")


@strawberry.type
class MarkNotificationsReadPayload:
    marked: int = 0
    unread_count: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


def notification_id(value: str, field: str) -> int:
    """The database id inside a notification's global ID."""
    type_name, key = parse_global_id(value, field)
    if type_name not in NOTIFICATION_TYPES:
        raise NotFound(f"{field} is not a notification id", field=field)
    return key
