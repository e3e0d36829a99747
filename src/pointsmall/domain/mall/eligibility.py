"""Items kept for an audience: shown only to its members, redeemable only by them.

An item with an audience is on no card or list of a user outside it (nor of an anonymous
caller); a quote says NOT_ELIGIBLE, and a redemption is refused with it, decided again
inside the redemption's transaction with the account locked.
"""

from __future__ import annotations

from datetime import datetime

from pointsmall.domain.audience.audiences import is_member, memberships
from pointsmall.domain.errors import NotEligible
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.cards import active_catalogue
from pointsmall.models import Account, Item


async def audiences_seen_by(account: Account | None, now: datetime, rules: LedgerRules) -> set[int]:
    """Of the audiences the catalogue's active items are kept for, those the user is in
    (none for an anonymous caller): at most two statements."""
    if account is None:
        return set()
    kept_for = {item.audience_id for item in await active_catalogue() if item.audience_id}
    return await memberships(account, kept_for, now, rules)


async def eligibility_problem(
    account: Account, item: Item, now: datetime, rules: LedgerRules
) -> NotEligible | None:
    if await is_member(account, item.audience_id, now, rules):
        return None
    return NotEligible("this item is kept for some members: it is not for you yet", field="itemId")
