"""Tokens: HS256 by default, RS256 from the shop's identity service, and nothing else."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pointsmall.auth import (
    AuthenticationError,
    Role,
    TokenVerifier,
    bearer_token,
    decode_token,
    issue_token,
)
from pointsmall.config import Settings


def claims(**extra: object) -> dict[str, object]:
    return {
        "sub": "user-1",
        "roles": ["user"],
        "exp": datetime.now(UTC) + timedelta(hours=1),
        **extra,
    }


def test_issued_tokens_round_trip_with_their_claims() -> None:
    settings = Settings()
    token = issue_token(
        settings,
        "u-7",
        [Role.USER, Role.ADMIN],
        timedelta(minutes=5),
        nickname="Mei",
        timezone="Asia/Shanghai",
    )
    principal = decode_token(settings, token)
    assert principal.user_id == "u-7"
    assert principal.roles == {Role.USER, Role.ADMIN}
    assert (principal.nickname, principal.timezone) == ("Mei", "Asia/Shanghai")


def test_rs256_tokens_from_the_identity_service() -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings = Settings(jwt_public_key=public_pem, jwt_issuer="shop-id", jwt_audience="pointsmall")
    token = jwt.encode(claims(iss="shop-id", aud="pointsmall"), private_key, algorithm="RS256")
    assert decode_token(settings, token).user_id == "user-1"
    wrong_audience = jwt.encode(claims(iss="shop-id", aud="other"), private_key, algorithm="RS256")
    with pytest.raises(AuthenticationError):
        decode_token(settings, wrong_audience)
    # An HS256 token "signed" with the public key must not pass (algorithm confusion).
    with pytest.raises(AuthenticationError):
        decode_token(settings, jwt.encode(claims(), "x" * 64, algorithm="HS256"))
    with pytest.raises(AuthenticationError, match="identity service"):
        issue_token(settings, "u", [Role.USER], timedelta(minutes=1))


@pytest.mark.parametrize(
    "bad",
    [
        claims(sub=""),
        claims(sub="x" * 65),
        claims(roles="admin"),
        claims(roles=[]),
        {"sub": "user-1", "roles": ["user"]},
    ],
)
def test_tokens_without_valid_claims_are_refused(bad: dict[str, object]) -> None:
    settings = Settings()
    with pytest.raises(AuthenticationError):
        decode_token(settings, jwt.encode(bad, settings.jwt_secret, algorithm="HS256"))


def test_bearer_header_parsing() -> None:
    assert bearer_token(None) is None
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    with pytest.raises(AuthenticationError):
        bearer_token("Token abc")


def test_a_remembered_token_still_expires_and_a_forgery_of_it_is_still_refused() -> None:
    settings = Settings()
    verifier = TokenVerifier(settings)
    expires = datetime.now(UTC) + timedelta(seconds=1)
    token = jwt.encode(claims(exp=expires), settings.jwt_secret, algorithm="HS256")
    assert verifier.principal(token).user_id == "user-1"
    assert verifier.principal(token).user_id == "user-1"  # remembered
    forged = token[: token.rindex(".") + 1] + "A" * 43
    with pytest.raises(AuthenticationError, match="invalid token"):
        verifier.principal(forged)
    assert verifier.principal(token).user_id == "user-1"  # the genuine one is unharmed
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.01)
    with pytest.raises(AuthenticationError, match="token expired"):
        verifier.principal(token)


def test_the_verifier_remembers_at_most_its_capacity_and_the_newest_first() -> None:
    settings = Settings()
    verifier = TokenVerifier(settings, capacity=2)
    tokens = [
        jwt.encode(claims(sub=f"user-{n}"), settings.jwt_secret, algorithm="HS256")
        for n in range(3)
    ]
    for token in tokens:
        verifier.principal(token)
    assert [principal.user_id for principal in verifier._verified.values()] == [
        "user-1",
        "user-2",
    ]
