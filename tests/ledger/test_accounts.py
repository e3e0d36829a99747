from datetime import timedelta

from pointsmall.clock import MovableClock
from tests.api import Api

ME = """
query Me($first: Int, $after: String, $within: Int) {
  me {
    id nickname timezone
    points { balance pending held frozen
             expiringSoon(withinDays: $within) { amount expiresAt }
             nextExpiry { amount expiresAt } }
    ledger(first: $first, after: $after) {
      edges { cursor node { id kind amount balanceAfter reason createdAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

GRANT = """
mutation Grant($input: GrantPointsInput!) {
  grantPoints(input: $input) {
    entry { id amount balanceAfter }
    account { userId points { balance } }
    errors { code message field }
  }
}
"""


async def test_first_call_opens_an_empty_account(api: Api, clock: MovableClock) -> None:
    data = await api.data(ME, api.user("new-user", nickname="Ada", timezone="Asia/Shanghai"))
    assert data["me"]["nickname"] == "Ada"
    assert data["me"]["timezone"] == "Asia/Shanghai"
    assert data["me"]["points"]["balance"] == 0
    assert data["me"]["ledger"]["edges"] == []


async def test_granted_points_show_in_balance_and_ledger(api: Api, clock: MovableClock) -> None:
    result = await api.data(
        GRANT,
        api.service(),
        input={"userId": "user-1", "amount": 500, "reason": "welcome", "idempotencyKey": "g1"},
    )
    assert result["grantPoints"]["errors"] == []
    assert result["grantPoints"]["account"]["points"]["balance"] == 500
    data = await api.data(ME, api.user("user-1"))
    assert data["me"]["points"]["balance"] == 500
    [edge] = data["me"]["ledger"]["edges"]
    assert edge["node"]["kind"] == "EARN"
    assert edge["node"]["balanceAfter"] == 500


async def test_expiring_soon_looks_30_days_ahead_unless_told(api: Api, clock: MovableClock) -> None:
    for days in (10, 40):
        expires = (clock.now() + timedelta(days=days)).isoformat()
        await api.data(
            GRANT,
            api.service(),
            input={
                "userId": "user-1",
                "amount": days,
                "reason": "r",
                "idempotencyKey": f"g{days}",
                "expiresAt": expires,
            },
        )
    default = await api.data(ME, api.user("user-1"), within=None)
    assert [soon["amount"] for soon in default["me"]["points"]["expiringSoon"]] == [10]
    wider = await api.data(ME, api.user("user-1"), within=60)
    assert [soon["amount"] for soon in wider["me"]["points"]["expiringSoon"]] == [10, 40]
