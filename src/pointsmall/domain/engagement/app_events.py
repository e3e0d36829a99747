"""Behaviour events from the shop (reviews, shares, app opens, custom ones): once per id,
each counted towards the user's tasks."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import orjson

from pointsmall import clock
from pointsmall.domain import events, validation
from pointsmall.domain.engagement import task_progress
from pointsmall.domain.errors import InvalidValue
from pointsmall.domain.ledger.accounts import open_account
from pointsmall.domain.ledger.accounts import user_id as checked_user_id
from pointsmall.domain.ledger.entries import fingerprint
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.replay import first_wins, same_request
from pointsmall.models import AppEvent, TaskEvent

EVENT_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
KNOWN = {"REVIEW": TaskEvent.REVIEW, "SHARE": TaskEvent.SHARE}
MAX_ATTRIBUTES_BYTES = 4_096


async def record_event(
    event_id: str,
    shop_user_id: str,
    event_type: str,
    occurred_at: datetime | None,
    attributes: dict[str, Any] | None,
    rules: LedgerRules,
) -> tuple[AppEvent, bool]:
    """Store the event and count it; returns (event, whether it was new)."""
    event_id = validation.text(event_id, "eventId", 64, required=True) or ""
    shop_user_id = checked_user_id(shop_user_id)
    kind = (event_type or "").strip().upper()
    if not EVENT_TYPE.match(kind):
        raise InvalidValue(
            "type is REVIEW, SHARE, APP_OPEN or a custom NAME (A-Z, 0-9, _)", field="type"
        )
    given = validation.moment(occurred_at, "occurredAt")
    moment = given or clock.now()  # unsaid: it happened as the shop tells us
    if moment > clock.now() + timedelta(minutes=5):
        raise InvalidValue("occurredAt is in the future", field="occurredAt")
    attributes = _attributes(attributes)
    request_fingerprint = fingerprint(
        "event", user=shop_user_id, type=kind, at=given, attributes=attributes
    )
    earlier = await _earlier(event_id, request_fingerprint)
    if earlier is not None:
        return earlier, False
    account = await open_account(shop_user_id)

    async def record() -> tuple[AppEvent, bool]:
        async with events.atomic():
            stored = await AppEvent.create(
                event_id=event_id,
                account_id=account.id,
                type=kind,
                occurred_at=moment,
                attributes=attributes,
                request_fingerprint=request_fingerprint,
                created_at=clock.now(),
            )
            task_event = KNOWN.get(kind, TaskEvent.CUSTOM)
            await task_progress.record_progress(
                account.id,
                task_event,
                moment,
                rules,
                source=f"event:{stored.id}",
                custom=kind if task_event == TaskEvent.CUSTOM else None,
            )
            return stored, True

    async def replayed() -> tuple[AppEvent, bool] | None:
        found = await _earlier(event_id, request_fingerprint)
        return (found, False) if found else None

    return await first_wins(record, replayed)


async def _earlier(event_id: str, request_fingerprint: str) -> AppEvent | None:
    return same_request(
        await AppEvent.get_or_none(event_id=event_id),
        request_fingerprint,
        "this event id was already recorded with other details",
        field="eventId",
    )


def _attributes(attributes: dict[str, Any] | None) -> dict[str, Any]:
    """A small JSON object; numbers beyond 64 bits (which no database column keeps) are
    refused like any other bad value."""
    attributes = attributes or {}
    problem = f"attributes is a JSON object of at most {MAX_ATTRIBUTES_BYTES} bytes"
    if not isinstance(attributes, dict):
        raise InvalidValue(problem, field="attributes")
    try:
        size = len(orjson.dumps(attributes))
    except orjson.JSONEncodeError:
        raise InvalidValue(
            "attributes holds a value JSON cannot keep (integers fit in 64 bits)",
            field="attributes",
        ) from None
    if size > MAX_ATTRIBUTES_BYTES:
        raise InvalidValue(problem, field="attributes")
    return attributes
