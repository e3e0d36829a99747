"""What the broker carries to a user's subscriptions: text (JSON), one shape per message.

`encode` and `decode` are the only code that knows the wire format: the runtime encodes
what committed, the subscriptions decode what arrives. A message that does not decode
(another version's, a stray publish) is skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pointsmall.domain.notifications.notices import Notice, notice_of, payload_of


@dataclass(frozen=True)
class PointsMoved:
    """The account's points changed: show them again."""


@dataclass(frozen=True)
class NotificationStored:
    """A notification was stored; `previous` is the user's one before it (0: none)."""

    id: int
    previous: int
    notice: Notice
    created_at: datetime


@dataclass(frozen=True)
class Resync:
    """Messages may have been lost (Redis was away, the subscriber fell behind): reread."""


@dataclass(frozen=True)
class Queued:
    """Something waits for ops' review: a risk case (`case`) or a redemption."""

    kind: str
    id: int


Message = PointsMoved | NotificationStored | Resync | Queued


def encode(message: Message) -> str:
    match message:
        case PointsMoved():
            return json.dumps({"kind": "points"})
        case Resync():
            return json.dumps({"kind": "resync"})
        case Queued():
            return json.dumps({"kind": "review", "review": message.kind, "id": message.id})
        case NotificationStored():
            return json.dumps(
                {
                    "kind": "notification",
                    "id": message.id,
                    "previous": message.previous,
                    "type": message.notice.kind.value,
                    "payload": payload_of(message.notice),
                    "createdAt": message.created_at.isoformat(),
                }
            )


def decode(text: str) -> Message | None:
    try:
        data = json.loads(text)
        kind = data["kind"]
        if kind == "points":
            return PointsMoved()
        if kind == "resync":
            return Resync()
        if kind == "review":
            return Queued(kind=str(data["review"]), id=int(data["id"]))
        if kind == "notification":
            return NotificationStored(
                id=int(data["id"]),
                previous=int(data["previous"]),
                notice=notice_of(data["type"], data["payload"]),
                created_at=datetime.fromisoformat(data["createdAt"]),
            )
    except (ValueError, KeyError, TypeError):
        pass
    return None


RESYNC = encode(Resync())
