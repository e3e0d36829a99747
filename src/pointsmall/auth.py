"""Bearer tokens -> `Principal`.

Tokens are JWTs with `sub` (the shop's user id), `roles` (any of user, admin, service),
`exp`, and optionally `nickname` and `tz`. HS256 with `JWT_SECRET`, or RS256 when
`JWT_PUBLIC_KEY` is set (the shop's identity service signs, we only verify).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from pointsmall.config import Settings
from pointsmall.domain.validation import user_id_problem

# Claims of time beyond these are no real moment (year 9999 at the latest).
LATEST_TIMESTAMP = 253_402_300_799


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"
    SERVICE = "service"


class AuthenticationError(Exception):
    """The request carries a token we cannot trust; the message is safe to show."""


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[Role]
    nickname: str | None = None
    timezone: str | None = None
    expires_at: datetime | None = None

    def has(self, role: Role) -> bool:
        return role in self.roles


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header; None when there is no header."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization header must be 'Bearer <token>'")
    return token.strip()


def decode_token(settings: Settings, token: str) -> Principal:
    key, algorithm = (
        (settings.jwt_public_key, "RS256")
        if settings.jwt_public_key
        else (settings.jwt_secret, "HS256")
    )
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": ["sub", "exp"], "verify_aud": settings.jwt_audience is not None},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("token expired") from None
    except (jwt.InvalidTokenError, ValueError, OverflowError, TypeError):
        # PyJWT lets a few malformed claims (an exp of Infinity) through as plain errors.
        raise AuthenticationError("invalid token") from None
    return _principal(claims)


class TokenVerifier:
    """`decode_token` with a memory: a token verified once is trusted until it expires
    without checking its signature again (an app sends the same token with every request
    for its whole life, and the check is most of a small request's cost). Only tokens that
    passed are remembered; at most `capacity` of them, the oldest forgotten first."""

    def __init__(self, settings: Settings, capacity: int = 10_000) -> None:
        self._settings = settings
        self._capacity = capacity
        self._verified: dict[str, Principal] = {}

    def principal(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is None:
            known = decode_token(self._settings, token)
            if len(self._verified) >= self._capacity:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = known
        elif known.expires_at is not None and known.expires_at <= datetime.now(UTC):
            del self._verified[token]
            raise AuthenticationError("token expired")
        return known


def _principal(claims: dict[str, object]) -> Principal:
    user_id = claims.get("sub")
    problem = user_id_problem(user_id)
    if problem is not None:
        raise AuthenticationError(f"invalid token: sub: {problem}")
    assert isinstance(user_id, str)
    for name in ("exp", "iat", "nbf"):
        moment = claims.get(name)
        if moment is not None and (
            not isinstance(moment, int | float) or not 0 <= moment <= LATEST_TIMESTAMP
        ):
            raise AuthenticationError(f"invalid token: {name} is out of range")
    raw_roles = claims.get("roles", [Role.USER.value])
    if not isinstance(raw_roles, list) or not raw_roles:
        raise AuthenticationError("invalid token: roles must be a non-empty list")
    try:
        roles = frozenset(Role(role) for role in raw_roles)
    except ValueError:
        raise AuthenticationError("invalid token: unknown role") from None
    nickname = claims.get("nickname")
    timezone = claims.get("tz")
    expires = claims.get("exp")
    return Principal(
        user_id=user_id,
        roles=roles,
        nickname=nickname if isinstance(nickname, str) else None,
        timezone=timezone if isinstance(timezone, str) else None,
        expires_at=datetime.fromtimestamp(expires, UTC)
        if isinstance(expires, int | float)
        else None,
    )


def issue_token(
    settings: Settings,
    user_id: str,
    roles: list[Role],
    ttl: timedelta,
    *,
    nickname: str | None = None,
    timezone: str | None = None,
) -> str:
    """Sign a token with the HS256 secret (development, tests and the `token` command)."""
    if settings.jwt_public_key:
        raise AuthenticationError(
            "JWT_PUBLIC_KEY is set: tokens are issued by the shop's identity service, not here"
        )
    # Wall time, not the service clock: PyJWT checks `exp` against the wall clock.
    issued_at = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": user_id,
        "roles": [role.value for role in roles],
        "iat": issued_at,
        "exp": issued_at + ttl,
    }
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if nickname:
        claims["nickname"] = nickname
    if timezone:
        claims["tz"] = timezone
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
