"""Partner coupon codes given away outside a redemption: a gift, a campaign's prize."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F

from pointsmall.domain import events
from pointsmall.models import CouponCode, Item


async def give_code(item_id: int, now: datetime) -> str | None:
    """One code from a COUPON item's pool, if any is left: marked issued, and a unit of the
    item's stock taken with it (by the conditional update redemptions use), so no
    redemption ever hands it out again. In the caller's transaction."""
    code = (
        await CouponCode.filter(item_id=item_id, redemption_id=None, issued_at=None)
        .order_by("id")
        .select_for_update(skip_locked=True)
        .first()
    )
    if code is None:
        return None
    taken = await Item.filter(id=item_id, stock_remaining__gte=1).update(
        stock_remaining=F("stock_remaining") - 1
    )
    if taken != 1:
        return None
    await CouponCode.filter(id=code.id).update(issued_at=now)
    events.after_commit(events.StockTaken(item_id))
    return code.code
