"""Settings from the environment, read in one place."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet

from pointsmall.domain.audience.gifts import GiftRules
from pointsmall.domain.audience.lifecycle import LifecycleRules
from pointsmall.domain.audience.tier_rules import TierRules, parse_tiers
from pointsmall.domain.ledger.expiry_policy import ExpiryPolicy, parse_expiry_policy
from pointsmall.sealing import Keyring, keyring_for

DEVELOPMENT_JWT_SECRET = "pointsmall-development-secret-do-not-use-in-production"
DEFAULT_DATABASE_URL = "sqlite://var/pointsmall.sqlite3"
ENVIRONMENTS = ("development", "test", "production")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


KNOWN_SECRETS = {
    DEVELOPMENT_JWT_SECRET,
    "secret",
    "changeme",
    "change-me",
    "password",
    "jwt-secret",
}
MIN_SECRET_BITS = 128


def secret_problem(secret: str) -> str | None:
    """Why a signing secret is too weak, if it is.

    The estimate is length x log2(distinct characters): a 64-character hex string counts
    256 bits, 40 spaces or "abab..." count next to nothing."""
    if secret.strip().lower() in KNOWN_SECRETS or secret.strip() in KNOWN_SECRETS:
        return "a well-known secret is refused"
    if len(secret) < 32:
        return "shorter than 32 characters"
    distinct = len(set(secret))
    if not secret.strip() or distinct < 8 or len(secret) * math.log2(distinct) < MIN_SECRET_BITS:
        return "too few distinct characters to be random"
    return None


@dataclass(frozen=True)
class Rate:
    """At most `count` calls per `seconds`, in bursts of up to `count`."""

    count: int
    seconds: int


@dataclass(frozen=True)
class RateLimits:
    """Per caller and operation class; `address` counts every call from one client address
    (users and anonymous callers alike); the shop's back end and admins have their own."""

    read: Rate = Rate(600, 60)
    write: Rate = Rate(120, 60)
    redeem: Rate = Rate(20, 60)
    engage: Rate = Rate(30, 60)
    address: Rate = Rate(3000, 60)
    service: Rate = Rate(30000, 60)
    admin: Rate = Rate(6000, 60)


RATE_CLASSES = tuple(field.name for field in fields(RateLimits))


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwt_public_key: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    points_expiry: ExpiryPolicy = field(default_factory=lambda: parse_expiry_policy("rolling:365"))
    default_timezone: str = "UTC"
    reversal_grace_days: int = 30
    graphiql: bool = True
    ops_console: bool = True  # the console at /ops (off in production unless asked)
    log_level: str = "INFO"
    log_json: bool = False  # LOG_FORMAT=json: one JSON object a line, with request ids
    database_pool_size: int = 10
    database_statement_cache_size: int = 100  # 0 behind PgBouncer in transaction mode
    mall_expiring_days: int = 30
    currency: str = "USD"
    points_per_currency_unit: int = 100
    default_earning_rate_percent: float = 1.0
    order_points_cap: int = 100_000
    return_window_days: int = 7
    first_order_multiplier: int = 2
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)
    tiers: TierRules = field(default_factory=TierRules)
    gifts: GiftRules = field(default_factory=GiftRules)
    risk_signal_days: int = 30  # how long devices are kept with the actions they did
    metrics_token: str | None = None  # /metrics answers with it only (None: off)
    data_keys: tuple[str, ...] = ()  # seal personal data at rest; the first seals
    check_in_rewards: tuple[int, ...] = (10, 10, 10, 10, 10, 10, 20)
    share_reward: int = 10
    share_daily_cap: int = 3
    share_open_reward: int = 5
    share_open_daily_cap: int = 10
    share_base_url: str = "https://mall.example.com/s/"
    expiry_warning_days: tuple[int, ...] = (3, 1)
    public_url: str = "http://127.0.0.1:8000"
    websocket_init_timeout_seconds: int = 10
    rate_limits: RateLimits | None = field(default_factory=RateLimits)  # None: off
    response_cache: bool = True
    response_cache_seconds: int = 60
    response_cache_bytes: int = 64 * 1024 * 1024

    @property
    def mall_expiring_window(self) -> timedelta:
        """How far ahead the home screen's EXPIRING_SOON card looks."""
        return timedelta(days=self.mall_expiring_days)

    @property
    def keyring(self) -> Keyring:
        return keyring_for(list(self.data_keys), self.jwt_secret)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def check_can_serve(self) -> None:
        """Refuse to serve in production with a secret that can be guessed: the one in this
        repository, a short one, or one of too few distinct characters."""
        if self.production and self.jwt_public_key is None:
            problem = secret_problem(self.jwt_secret)
            if problem is not None:
                raise SettingsError(
                    f"JWT_SECRET: {problem}; production needs a random secret of at least 32 "
                    "characters, e.g. `openssl rand -hex 32` (or JWT_PUBLIC_KEY for RS256)"
                )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        environment = env.get("POINTSMALL_ENV", "development")
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"POINTSMALL_ENV must be one of {', '.join(ENVIRONMENTS)}")
        try:
            expiry = parse_expiry_policy(env.get("POINTS_EXPIRY", "rolling:365"))
        except ValueError as error:
            raise SettingsError(str(error)) from None
        zone_name = env.get("DEFAULT_TIMEZONE", "UTC")
        try:
            ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"DEFAULT_TIMEZONE {zone_name!r} is not an IANA time zone"
            ) from None
        public_key = env.get("JWT_PUBLIC_KEY") or None
        if public_key is not None and "BEGIN" not in public_key and os.path.isfile(public_key):
            with open(public_key, encoding="ascii") as key_file:
                public_key = key_file.read()
        return cls(
            environment=environment,
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("REDIS_URL") or None,
            jwt_secret=env.get("JWT_SECRET") or DEVELOPMENT_JWT_SECRET,
            jwt_public_key=public_key,
            jwt_issuer=env.get("JWT_ISSUER") or None,
            jwt_audience=env.get("JWT_AUDIENCE") or None,
            points_expiry=expiry,
            default_timezone=zone_name,
            reversal_grace_days=_int(env, "REVERSAL_GRACE_DAYS", 30, 1, 3650),
            graphiql=_flag(env, "GRAPHIQL", default=environment != "production"),
            ops_console=_flag(env, "OPS_CONSOLE", default=environment != "production"),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            log_json=_log_format(env),
            database_pool_size=_int(env, "DATABASE_POOL_SIZE", 10, 1, 500),
            database_statement_cache_size=_int(
                env, "DATABASE_STATEMENT_CACHE_SIZE", 100, 0, 10_000
            ),
            mall_expiring_days=_int(env, "MALL_EXPIRING_DAYS", 30, 1, 366),
            currency=_currency(env),
            points_per_currency_unit=_int(env, "POINTS_PER_CURRENCY_UNIT", 100, 1, 10_000),
            default_earning_rate_percent=_percent(env, "DEFAULT_EARNING_RATE_PERCENT", 1.0),
            order_points_cap=_int(env, "ORDER_POINTS_CAP", 100_000, 1, 1_000_000_000),
            return_window_days=_int(env, "RETURN_WINDOW_DAYS", 7, 0, 365),
            first_order_multiplier=_int(env, "FIRST_ORDER_MULTIPLIER", 2, 1, 10),
            lifecycle=_lifecycle(env),
            tiers=_tiers(env),
            risk_signal_days=_int(env, "RISK_SIGNAL_DAYS", 30, 1, 366),
            metrics_token=env.get("METRICS_TOKEN") or None,
            data_keys=_data_keys(env),
            gifts=GiftRules(
                welcome_points=_int(env, "WELCOME_GIFT_POINTS", 100, 0, 1_000_000),
                wake_up_points=_int(env, "WAKE_UP_GIFT_POINTS", 200, 0, 1_000_000),
                wake_up_expiry=timedelta(days=_int(env, "WAKE_UP_GIFT_EXPIRY_DAYS", 14, 1, 365)),
                wake_up_coupon_item_id=_int(env, "WAKE_UP_GIFT_COUPON_ITEM", 0, 0, 10**18) or None,
                birthday_points=_int(env, "BIRTHDAY_GIFT_POINTS", 100, 0, 1_000_000),
            ),
            check_in_rewards=_rewards(env),
            share_reward=_int(env, "SHARE_REWARD", 10, 0, 1_000_000),
            share_daily_cap=_int(env, "SHARE_DAILY_CAP", 3, 0, 1_000),
            share_open_reward=_int(env, "SHARE_OPEN_REWARD", 5, 0, 1_000_000),
            share_open_daily_cap=_int(env, "SHARE_OPEN_DAILY_CAP", 10, 0, 1_000),
            share_base_url=env.get("SHARE_BASE_URL") or "https://mall.example.com/s/",
            expiry_warning_days=_warning_days(env),
            public_url=_public_url(env),
            websocket_init_timeout_seconds=_int(env, "WEBSOCKET_INIT_TIMEOUT_SECONDS", 10, 1, 300),
            rate_limits=_rate_limits(env),
            response_cache=_flag(env, "RESPONSE_CACHE", default=True),
            response_cache_seconds=_int(env, "RESPONSE_CACHE_SECONDS", 60, 1, 3600),
            response_cache_bytes=_int(env, "RESPONSE_CACHE_MB", 64, 1, 65_536) * 1024 * 1024,
        )


def _data_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in (env.get("DATA_KEYS") or "").split(",") if key.strip())
    for key in keys:
        try:
            Fernet(key.encode())
        except ValueError:
            raise SettingsError(
                "DATA_KEYS are Fernet keys (32 bytes, url-safe base64), comma-separated: "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key())"'
            ) from None
    return keys


def _log_format(env: Mapping[str, str]) -> bool:
    value = (env.get("LOG_FORMAT") or "text").lower()
    if value not in ("text", "json"):
        raise SettingsError(f"LOG_FORMAT is text or json, not {value!r}")
    return value == "json"


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be on or off, not {value!r}")


def _lifecycle(env: Mapping[str, str]) -> LifecycleRules:
    rules = LifecycleRules(
        new_days=_int(env, "SEGMENT_NEW_DAYS", 7, 1, 365),
        active_orders=_int(env, "SEGMENT_ACTIVE_ORDERS", 3, 1, 1_000),
        active_days=_int(env, "SEGMENT_ACTIVE_DAYS", 30, 1, 365),
        dormant_days=_int(env, "SEGMENT_DORMANT_DAYS", 90, 1, 3_650),
        churned_days=_int(env, "SEGMENT_CHURNED_DAYS", 365, 1, 3_650),
    )
    if not rules.active_days <= rules.dormant_days < rules.churned_days:
        raise SettingsError(
            "SEGMENT_ACTIVE_DAYS <= SEGMENT_DORMANT_DAYS < SEGMENT_CHURNED_DAYS, please"
        )
    return rules


def _tiers(env: Mapping[str, str]) -> TierRules:
    value = env.get("TIERS")
    try:
        tiers = parse_tiers(value) if value else TierRules().tiers
    except ValueError as error:
        raise SettingsError(
            f"TIERS: {error} (e.g. Silver:0,Gold:5000:125:5,Platinum:20000:150:10)"
        ) from None
    notice = _int(env, "TIER_REVIEW_NOTICE_DAYS", 30, 0, 180)
    return TierRules(tiers, timedelta(days=notice))


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = env.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def _currency(env: Mapping[str, str]) -> str:
    value = env.get("CURRENCY") or "USD"
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise SettingsError(f"CURRENCY must be a three-letter ISO code such as USD, not {value!r}")
    return value


def _percent(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        percent = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number from 0 to 100, not {value!r}") from None
    if not 0 <= percent <= 100:
        raise SettingsError(f"{name} must be a number from 0 to 100, not {value!r}")
    return percent


def _rewards(env: Mapping[str, str]) -> tuple[int, ...]:
    value = env.get("CHECK_IN_REWARDS")
    if not value:
        return (10, 10, 10, 10, 10, 10, 20)
    parts = [part.strip() for part in value.split(",")]
    if not 1 <= len(parts) <= 31 or not all(
        part.isdigit() and 0 < int(part) <= 100_000 for part in parts
    ):
        raise SettingsError("CHECK_IN_REWARDS is 1-31 comma-separated rewards, e.g. 10,10,20")
    return tuple(int(part) for part in parts)


def _rate_limits(env: Mapping[str, str]) -> RateLimits | None:
    """`RATE_LIMITS=off`, or changes to the defaults: `redeem=10/60,address=6000/60`."""
    value = (env.get("RATE_LIMITS") or "").strip()
    if value.lower() == "off":
        return None
    changes: dict[str, Rate] = {}
    for part in filter(None, (piece.strip() for piece in value.split(","))):
        name, _, rate = part.partition("=")
        count, _, seconds = rate.partition("/")
        if name not in RATE_CLASSES or not (count.isdigit() and seconds.isdigit()):
            raise SettingsError(
                f"RATE_LIMITS is off, or CLASS=COUNT/SECONDS,... with CLASS one of "
                f"{', '.join(RATE_CLASSES)}; not {part!r}"
            )
        if not (0 < int(count) <= 10_000_000 and 0 < int(seconds) <= 86_400):
            raise SettingsError(f"RATE_LIMITS: {part!r} is out of range")
        changes[name] = Rate(int(count), int(seconds))
    return replace(RateLimits(), **changes)


def _public_url(env: Mapping[str, str]) -> str:
    value = (env.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    if not value.startswith(("http://", "https://")) or " " in value:
        raise SettingsError(f"PUBLIC_URL is the server's http(s) address, not {value!r}")
    return value


def _warning_days(env: Mapping[str, str]) -> tuple[int, ...]:
    value = env.get("EXPIRY_WARNING_DAYS")
    if not value:
        return (3, 1)
    parts = [part.strip() for part in value.split(",")]
    if not 1 <= len(parts) <= 5 or not all(
        part.isdigit() and 0 < int(part) <= 60 for part in parts
    ):
        raise SettingsError("EXPIRY_WARNING_DAYS is 1-5 comma-separated days, e.g. 3,1")
    return tuple(sorted({int(part) for part in parts}, reverse=True))
