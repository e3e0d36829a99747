from datetime import timedelta
from pointsmall.domain import ledger, holds, reversals, expiry, audit
from pointsmall.domain.balances import live_lots, summarize
from tests.ledger.helpers import RULES, request, account, reload
from pointsmall import clock as c

async def test_smoke(db, clock):
    a = await account()
    e = await ledger.earn(a.id, 100, request("k1"), RULES)
    e2 = await ledger.earn(a.id, 50, request("k2"), RULES, expires_at=clock.now() + timedelta(days=2))
    s = await ledger.spend(a.id, 70, request("k3"))
    assert s.balance_after == 80
    h = await holds.hold(a.id, 30, request("k4"))
    await holds.capture(h.id, request("k5"))
    r = await reversals.reverse(s.id, request("k6"), RULES)
    clock.advance(timedelta(days=3))
    rep = await expiry.expire_due_points()
    lots = await live_lots([a.id])
    acc = await reload(a)
    summ = summarize(lots[a.id], held=acc.held, frozen=acc.frozen, at=c.now())
    print(rep, summ.balance, acc.ledger_balance)
    au = await audit.audit_ledger()
    print(au)
    assert au.clean
