"""What a campaign is made of, checked: its mechanics, its sign-up form, its variants.

Mechanics (stored as JSON, one dict each, the same shape as their GraphQL input):

- `{"kind": "EARN_MULTIPLIER", "percent": 200, "categories": ["electronics"]}`: order
  points of those categories (all, if none listed) times percent / 100 during the window,
  the extra charged to the budget. Stacking: it multiplies the tier's percent and the
  first-order multiplier; of several campaigns, the highest percent applies per line.
- `{"kind": "SPEND_DISCOUNT", "percent": 50, "categories": []}`: items cost that many
  percent fewer points (rounded up to a whole point) during the window.
- `{"kind": "BONUS", "trigger": "ORDERS", "count": 3, "points": 300}`: fixed points once
  per user when the trigger is reached in the window (FIRST_ORDER, ORDERS, CHECK_INS).
- `{"kind": "RANKING", "metric": "POINTS_EARNED", "prizes": [{"fromRank": 1, "toRank": 3,
  "points": 1000}]}`: a ranking of the metric in the window (POINTS_EARNED, ORDERS,
  CHECK_INS), ties broken by who got there first; prizes (points, and a partner coupon
  from a COUPON item's pool if `couponItemId`) paid once at settlement.
- `{"kind": "CHECK_IN_REWARDS", "rewards": [5, 5, 20]}`: the check-in schedule for the
  campaign's participants during the window.

Variants (an A/B test): `[{"name": "fixed", "weight": 1, "checkInReward": {"min": 10,
"max": 10}}, ...]`: each participant is assigned one, by a hash of campaign and user.
"""

from __future__ import annotations

from typing import Any

from pointsmall.domain import validation
from pointsmall.domain.errors import InvalidValue

KINDS = ("EARN_MULTIPLIER", "SPEND_DISCOUNT", "BONUS", "RANKING", "CHECK_IN_REWARDS")
TRIGGERS = ("FIRST_ORDER", "ORDERS", "CHECK_INS")
METRICS = ("POINTS_EARNED", "ORDERS", "CHECK_INS")
FIELD_KINDS = ("TEXT", "NUMBER", "CHOICE")
MAX_POINTS = 10_000_000


def _number(value: Any, field: str, low: int, high: int) -> int:
    """A whole number from the JSON given (anything else: refused, naming the field)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidValue(f"{field}: a whole number from {low} to {high}", field=field)
    return validation.whole_number(value, field, low, high)


def _categories(value: Any) -> list[str]:
    categories = sorted({str(category).strip().lower() for category in value or []})
    if not all(validation.SLUG.match(category) for category in categories):
        raise InvalidValue("categories are slugs such as home-appliances", field="mechanics")
    return categories


def checked_mechanics(mechanics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(mechanics) > 10:
        raise InvalidValue("at most 10 mechanics", field="mechanics")
    checked = []
    for mechanic in mechanics:
        kind = mechanic.get("kind")
        match kind:
            case "EARN_MULTIPLIER":
                checked.append(
                    {
                        "kind": kind,
                        "percent": _number(mechanic.get("percent"), "mechanics", 101, 1_000),
                        "categories": _categories(mechanic.get("categories")),
                    }
                )
            case "SPEND_DISCOUNT":
                checked.append(
                    {
                        "kind": kind,
                        "percent": _number(mechanic.get("percent"), "mechanics", 1, 90),
                        "categories": _categories(mechanic.get("categories")),
                    }
                )
            case "BONUS":
                trigger = mechanic.get("trigger")
                if trigger not in TRIGGERS:
                    raise InvalidValue(
                        f"a bonus trigger is one of {', '.join(TRIGGERS)}", field="mechanics"
                    )
                count = 1 if trigger == "FIRST_ORDER" else mechanic.get("count") or 1
                checked.append(
                    {
                        "kind": kind,
                        "trigger": trigger,
                        "count": _number(count, "mechanics", 1, 1_000),
                        "points": _number(mechanic.get("points"), "mechanics", 1, MAX_POINTS),
                    }
                )
            case "RANKING":
                metric = mechanic.get("metric")
                if metric not in METRICS:
                    raise InvalidValue(
                        f"a ranking's metric is one of {', '.join(METRICS)}", field="mechanics"
                    )
                checked.append(
                    {
                        "kind": kind,
                        "metric": metric,
                        "prizes": _prizes(mechanic.get("prizes") or []),
                    }
                )
            case "CHECK_IN_REWARDS":
                rewards = mechanic.get("rewards") or []
                if not 1 <= len(rewards) <= 31:
                    raise InvalidValue("check-in rewards: 1 to 31 of them", field="mechanics")
                checked.append(
                    {
                        "kind": kind,
                        "rewards": [_number(r, "mechanics", 0, 100_000) for r in rewards],
                    }
                )
            case _:
                raise InvalidValue(f"a mechanic is one of {', '.join(KINDS)}", field="mechanics")
    if sum(1 for mechanic in checked if mechanic["kind"] == "RANKING") > 1:
        raise InvalidValue("one ranking a campaign", field="mechanics")
    return checked


def _prizes(prizes: list[dict[str, Any]]) -> list[dict[str, int | None]]:
    if not 1 <= len(prizes) <= 20:
        raise InvalidValue("a ranking has 1 to 20 prize ranges", field="mechanics")
    checked = []
    last = 0
    for prize in sorted(prizes, key=lambda prize: prize.get("fromRank") or 0):
        first = _number(prize.get("fromRank"), "mechanics", 1, 100_000)
        to = _number(prize.get("toRank") or first, "mechanics", first, 100_000)
        if first <= last:
            raise InvalidValue("prize ranges must not overlap", field="mechanics")
        points = _number(prize.get("points") or 0, "mechanics", 0, MAX_POINTS)
        coupon = prize.get("couponItemId")
        if coupon is not None:
            coupon = _number(coupon, "mechanics", 1, 10**18)
        if not points and coupon is None:
            raise InvalidValue("a prize gives points, a coupon, or both", field="mechanics")
        checked.append({"fromRank": first, "toRank": to, "points": points, "couponItemId": coupon})
        last = to
    return checked


def checked_form_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(fields) > 20:
        raise InvalidValue("at most 20 form fields", field="formFields")
    checked = []
    names = set()
    for given in fields:
        name = str(given.get("name") or "").strip()
        if not name or len(name) > 40 or name in names:
            raise InvalidValue(
                "form fields have distinct names of 1 to 40 characters", field="formFields"
            )
        names.add(name)
        kind = given.get("kind")
        if kind not in FIELD_KINDS:
            raise InvalidValue(
                f"a form field's kind is one of {', '.join(FIELD_KINDS)}", field="formFields"
            )
        choices = [str(choice) for choice in given.get("choices") or []]
        if (kind == "CHOICE") != bool(choices):
            raise InvalidValue("a CHOICE field lists its choices (and only it)", field="formFields")
        checked.append(
            {
                "name": name,
                "kind": kind,
                "required": bool(given.get("required")),
                "choices": choices,
            }
        )
    return checked


def checked_answers(fields: list[dict[str, Any]], answers: dict[str, str]) -> dict[str, Any]:
    """A sign-up form's answers against its fields; `InvalidValue` names the first at fault."""
    unknown = set(answers) - {field["name"] for field in fields}
    if unknown:
        raise InvalidValue(f"the form has no field {sorted(unknown)[0]}", field="form")
    kept: dict[str, Any] = {}
    for field in fields:
        value = (answers.get(field["name"]) or "").strip()
        if not value:
            if field["required"]:
                raise InvalidValue(f"{field['name']} is required", field="form")
            continue
        if field["kind"] == "NUMBER":
            try:
                kept[field["name"]] = float(value)
            except ValueError:
                raise InvalidValue(f"{field['name']} is a number", field="form") from None
        elif field["kind"] == "CHOICE":
            if value not in field["choices"]:
                raise InvalidValue(
                    f"{field['name']} is one of {', '.join(field['choices'])}", field="form"
                )
            kept[field["name"]] = value
        else:
            if len(value) > 500:
                raise InvalidValue(f"{field['name']} has at most 500 characters", field="form")
            kept[field["name"]] = value
    return kept


def checked_variants(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not variants:
        return []
    if not 2 <= len(variants) <= 5:
        raise InvalidValue("an experiment has 2 to 5 variants", field="variants")
    checked: list[dict[str, Any]] = []
    for variant in variants:
        name = str(variant.get("name") or "").strip()
        if not name or len(name) > 64 or any(name == other["name"] for other in checked):
            raise InvalidValue(
                "variants have distinct names of 1 to 64 characters", field="variants"
            )
        weight = _number(variant.get("weight") or 1, "variants", 1, 100)
        reward = variant.get("checkInReward")
        if reward is not None:
            low = _number(reward.get("min"), "variants", 0, 100_000)
            high = _number(reward.get("max", low), "variants", low, 100_000)
            reward = {"min": low, "max": high}
        checked.append({"name": name, "weight": weight, "checkInReward": reward})
    return checked


def mechanics_of(mechanics: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [mechanic for mechanic in mechanics if mechanic["kind"] == kind]


def coupon_items(mechanics: list[dict[str, Any]]) -> set[int]:
    """The COUPON items a campaign's prizes give codes of."""
    return {
        int(prize["couponItemId"])
        for ranking in mechanics_of(mechanics, "RANKING")
        for prize in ranking["prizes"]
        if prize.get("couponItemId") is not None
    }
