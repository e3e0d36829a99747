"""Building blocks for engagement tests."""

from __future__ import annotations

from typing import Any

from tests.api import Api

RECORD_ORDER = """mutation($input: RecordOrderInput!) { recordOrder(input: $input) {
  order { orderId points firstOrderBonus pendingUntil lines { sku points refundedAmount } }
  errors { code message field } } }"""
REFUND_ORDER = """mutation($input: RefundOrderInput!) { refundOrder(input: $input) {
  refund { refundId points taken owed } errors { code message field } } }"""
RECORD_EVENT = """mutation($input: RecordEventInput!) { recordEvent(input: $input) {
  recorded errors { code message field } } }"""
SET_RATE = """mutation($input: SetEarningRateInput!) { setEarningRate(input: $input) {
  rate { category ratePercent } errors { code field } } }"""
CREATE_TASK = """mutation($input: CreateTaskInput!) { createTask(input: $input) {
  task { id title status tiers { target reward } } errors { code message field } } }"""
UPDATE_TASK = """mutation($input: UpdateTaskInput!) { updateTask(input: $input) {
  task { title tiers { target reward } } errors { code message field } } }"""
CHECK_IN = """mutation($key: String!) { checkIn(input: {idempotencyKey: $key}) {
  checkIn { date streak reward } errors { code message } } }"""
MY_TASKS = """{ me { tasks { id title claimable nextReward status hint
  progress { current target percent } tiers { target reward reached } } } }"""
POINTS = "{ me { points { balance pending owed } } }"
UPSERT = """mutation($input: UpsertUserInput!) { upsertUser(input: $input) { errors { code } } }"""


def order_input(order_id: str = "o-1", user: str = "mei", **overrides: Any) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "userId": user,
        "paidAt": "2026-11-23T09:00:00Z",
        "lines": [{"sku": "tv-1", "category": "electronics", "amount": 10_000, "currency": "USD"}],
        **overrides,
    }


async def record_order(api: Api, **overrides: Any) -> dict[str, Any]:
    result = await api.data(RECORD_ORDER, api.service(), input=order_input(**overrides))
    payload: dict[str, Any] = result["recordOrder"]
    return payload


async def points(api: Api, user: str = "mei") -> dict[str, int]:
    found: dict[str, int] = (await api.data(POINTS, api.user(user)))["me"]["points"]
    return found


async def create_task(api: Api, **fields: Any) -> dict[str, Any]:
    result = await api.data(CREATE_TASK, api.admin(), input=fields)
    assert result["createTask"]["errors"] == [], result
    task: dict[str, Any] = result["createTask"]["task"]
    return task


async def my_tasks(api: Api, user: str = "mei") -> dict[str, dict[str, Any]]:
    tasks = (await api.data(MY_TASKS, api.user(user)))["me"]["tasks"]
    return {task["title"]: task for task in tasks}
