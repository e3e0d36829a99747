"""Settings come from the environment, and production refuses a secret everyone knows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pointsmall.app import create_app
from pointsmall.cli import main as pointsmall_main
from pointsmall.config import DEVELOPMENT_JWT_SECRET, Settings, SettingsError
from pointsmall.domain.ledger.expiry_policy import (
    PeriodEndExpiry,
    RollingExpiry,
    parse_expiry_policy,
)
from pointsmall.runtime import engagement_rules, ledger_rules

RANDOM_SECRET = "5f0c2e9a8b1d47e6a3c9f2b7d4e18a60c3b5e7f9a1d2c4e6"  # openssl rand -hex 24


def test_defaults_run_embedded() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite://var/")
    assert settings.redis_url is None
    assert settings.points_expiry == RollingExpiry(365)
    assert settings.graphiql is True


def test_production_refuses_the_development_secret() -> None:
    settings = Settings.from_env({"POINTSMALL_ENV": "production"})
    assert settings.jwt_secret == DEVELOPMENT_JWT_SECRET
    assert settings.graphiql is False
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        create_app(settings)
    create_app(Settings.from_env({"POINTSMALL_ENV": "production", "JWT_SECRET": RANDOM_SECRET}))


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (" " * 40, "distinct"),
        ("s" * 40, "distinct"),
        ("abcd" * 10, "distinct"),
        ("too-short-but-random-A9x", "shorter"),
        ("changeme", "well-known"),
        (DEVELOPMENT_JWT_SECRET, "well-known"),
    ],
)
def test_production_refuses_a_guessable_secret(
    secret: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.from_env({"POINTSMALL_ENV": "production", "JWT_SECRET": secret})
    with pytest.raises(SettingsError, match=why):
        create_app(settings)
    monkeypatch.setenv("POINTSMALL_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", secret)
    assert pointsmall_main(["serve"]) == 2  # refuses to start


def test_engagement_rules_follow_the_settings() -> None:
    settings = Settings.from_env(
        {
            "CHECK_IN_REWARDS": "5,5,50",
            "FIRST_ORDER_MULTIPLIER": "3",
            "TIERS": "Member:0,VIP:1000:200:7",
            "RETURN_WINDOW_DAYS": "30",
            "SEGMENT_DORMANT_DAYS": "60",
            "SEGMENT_ACTIVE_ORDERS": "5",
        }
    )
    rules = engagement_rules(settings)
    assert (rules.lifecycle.dormant_days, rules.lifecycle.active_orders) == (60, 5)
    assert [rules.check_in_reward(day) for day in range(1, 8)] == [5, 5, 50, 5, 5, 50, 5]
    assert rules.first_order_multiplier == 3
    tiers = ledger_rules(settings).tiers
    assert [(tier.name, tier.threshold, tier.earn_percent, tier.check_in_bonus) for tier in
            tiers.tiers] == [("Member", 0, 100, 0), ("VIP", 1000, 200, 7)]  # fmt: skip
    assert rules.return_window == timedelta(days=30)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHECK_IN_REWARDS", "10,ten"),
        ("CHECK_IN_REWARDS", "0"),
        ("FIRST_ORDER_MULTIPLIER", "0"),
        ("POINTS_EXPIRY", "forever"),
        ("POINTS_EXPIRY", "rolling:0"),
        ("DEFAULT_TIMEZONE", "Mars/Base"),
        ("GRAPHIQL", "maybe"),
        ("POINTSMALL_ENV", "staging"),
        ("REVERSAL_GRACE_DAYS", "-1"),
        ("SEGMENT_ACTIVE_ORDERS", "0"),
        ("SEGMENT_DORMANT_DAYS", "400"),  # past SEGMENT_CHURNED_DAYS
        ("TIERS", "Gold:5000"),  # the first tier starts at 0
        ("TIERS", "Silver:0,Gold:5000,Platinum:4000"),  # thresholds rise
        ("TIERS", "Silver:0,Gold:5000:90"),  # an earning percent under 100
        ("TIERS", "Silver:0,Gold:five"),
        ("TIER_REVIEW_NOTICE_DAYS", "365"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_bad_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


@pytest.mark.parametrize(
    ("policy", "earned", "expires"),
    [
        ("month-end:0", datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
        ("month-end:2", datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)),
        ("quarter-end:0", datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)),
        ("quarter-end:1", datetime(2026, 12, 31, 23, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)),
        ("year-end:1", datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)),
    ],
)
def test_fixed_period_expiry(policy: str, earned: datetime, expires: datetime) -> None:
    assert parse_expiry_policy(policy).expires_at(earned, ZoneInfo("UTC")) == expires


def test_fixed_period_ends_in_the_programmes_time_zone() -> None:
    policy = PeriodEndExpiry("month", 0)
    # 2026-11-30 20:00 UTC is already December 1st in Shanghai.
    earned = datetime(2026, 11, 30, 20, tzinfo=UTC)
    assert policy.expires_at(earned, ZoneInfo("Asia/Shanghai")) == datetime(
        2026, 12, 31, 16, tzinfo=UTC
    )
