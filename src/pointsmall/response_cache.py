"""Whole answers to the home screen and the points summary, kept per user while nothing
they show has changed.

A user opening the app asks the same home query again and again, and its data changes far
less often than it is read; executing it (a few queries, then 600-odd fields through
GraphQL) costs thirty times a trivial request. So a query that asks only what `CACHED`
allows (the whole `mall`; of `me`, the profile and the points figures) is answered from
memory when:

- the same user (by verified token) sent the same request body before, and that answer
  had no error;
- the versions it was computed under are still current: the catalogue's (bumped after
  any change to an item or its stock: ops' edits, a unit sold or returned, a restock) and
  the user's account's (bumped after anything that moves their points, holds or standing,
  and after a profile update), read from Redis so that every worker sees every bump; a
  version is read *before* the answer is computed, so a change committed meanwhile makes
  it stale at once;
- time has not changed it: no later than the moment its resolvers said it would change
  with no write (`Context.changes_by`: a sale window opening or closing, an item leaving
  NEW, the reader's quota day turning, their points becoming spendable or expiring), and
  no older than `RESPONSE_CACHE_SECONDS` (default 60) for the hot list, itself recomputed
  once a minute, and for the audiences a user belongs to as time and the jobs move them
  (an exclusive item a user just lost is still refused by quotes and redemptions).

A field added where `CACHED` allows anything (under `mall`) must have its writes bump a
version, or say when time changes it; a field that cannot is left out of `CACHED`.

Without Redis nothing is cached (versions cannot be read). Rate limits are drawn as for
any query. Memory is bounded by bytes (`RESPONSE_CACHE_BYTES`), least recently used out
first. A user's first home query is always computed: it teaches the cache their account.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import orjson
from graphql import (
    FieldNode,
    GraphQLError,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    parse,
)

from pointsmall import clock
from pointsmall.auth import Principal
from pointsmall.redis_client import RedisClient, RedisGuard

# What the cache may answer: root fields, and for each what may be asked inside it
# (ANY: whatever its type offers; a mapping: only these fields, each with its own rule).
ANY = None
Rule = Mapping[str, "Rule"] | None
CACHED: Mapping[str, Rule] = {
    "mall": ANY,
    "me": {
        **dict.fromkeys(
            ("__typename", "id", "userId", "nickname", "timezone", "registeredAt", "tags"), ANY
        ),
        "frozen": ANY,
        "points": dict.fromkeys(
            ("__typename", "balance", "pending", "held", "frozen", "owed", "nextExpiry"), ANY
        ),
    },
}
CATALOGUE_VERSION = "pointsmall:version:catalogue"
VERSION_SECONDS = 86_400  # an account's version outlives every answer computed under it
MAX_PLANS = 1_000
MAX_ACCOUNTS = 100_000


K = TypeVar("K")
V = TypeVar("V")


def reader_of(principal: Principal | None) -> str:
    """Whom an answer is for: the user and the roles their token grants (one user's tokens
    with other roles may be shown other things); "" for anonymous callers."""
    if principal is None:
        return ""
    return f"{principal.user_id}\x00{','.join(sorted(principal.roles))}"


def account_version(account_id: int) -> str:
    return f"pointsmall:version:account:{account_id}"


@dataclass(frozen=True)
class Question:
    """A request the cache may answer: who asks (`reader_of` their token) and what (the
    body's digest), with the operation's root fields (for the rate limits)."""

    reader: str
    principal: Principal | None
    digest: bytes
    fields: tuple[str, ...]
    operation: str | None = None  # its name, for the metrics


@dataclass(frozen=True)
class _Answer:
    body: bytes
    versions: tuple[object, ...]
    expires: datetime


class ResponseCache:
    def __init__(
        self, redis: RedisClient, guard: RedisGuard, *, seconds: float, max_bytes: int
    ) -> None:
        self._redis = redis
        self._guard = guard
        self._lifetime = timedelta(seconds=seconds)
        self._max_bytes = max_bytes
        self._bytes = 0
        self._answers: OrderedDict[tuple[str, bytes], _Answer] = OrderedDict()
        self._plans: dict[bytes, tuple[tuple[str, ...], str | None] | None] = {}
        self._accounts: dict[str, int] = {}

    def question(self, principal: Principal | None, body: bytes) -> Question | None:
        """The question this request body asks, if the cache may answer it."""
        digest = hashlib.blake2b(body, digest_size=16).digest()
        if digest not in self._plans:
            _keep(self._plans, digest, _cached_fields(body), MAX_PLANS)
        plan = self._plans[digest]
        if plan is None:
            return None
        fields, operation = plan
        return Question(reader_of(principal), principal, digest, fields, operation)

    async def versions(self, question: Question) -> tuple[object, ...] | None:
        """The current versions the question's answer depends on; None when they cannot be
        known (Redis away, or a user whose account the cache has not met yet)."""
        keys = [CATALOGUE_VERSION]
        if question.reader:
            account_id = self._accounts.get(question.reader)
            if account_id is None:
                return None
            keys.append(account_version(account_id))
        values: Sequence[object] | None = await self._guard.call(
            "response cache", lambda: self._redis.mget(keys), None
        )
        return tuple(values) if values is not None else None

    async def answer(self, question: Question) -> bytes | None:
        """A remembered answer that is still true, or None."""
        key = (question.reader, question.digest)
        known = self._answers.get(key)
        if known is None:
            return None
        if known.expires <= clock.now() or await self.versions(question) != known.versions:
            self._forget(key)
            return None
        self._answers.move_to_end(key)
        return known.body

    def remember(
        self,
        question: Question,
        account_id: int | None,
        versions: tuple[object, ...] | None,
        body: bytes,
        changes_at: datetime | None = None,
    ) -> None:
        """Keep an answer computed under `versions` (read before it was computed; None:
        unknown, and the answer is not kept) until `changes_at` at the latest (when time
        alone changes it), and which account the user has."""
        if question.reader and account_id is not None:
            _keep(self._accounts, question.reader, account_id, MAX_ACCOUNTS)
        if versions is None or len(body) > self._max_bytes // 4:
            return
        key = (question.reader, question.digest)
        self._forget(key)
        expires = clock.now() + self._lifetime
        if changes_at is not None:
            expires = min(expires, changes_at)
        self._answers[key] = _Answer(body, versions, expires)
        self._bytes += len(body)
        while self._bytes > self._max_bytes:
            self._forget(next(iter(self._answers)))

    def _forget(self, key: tuple[str, bytes]) -> None:
        gone = self._answers.pop(key, None)
        if gone is not None:
            self._bytes -= len(gone.body)

    async def account_changed(self, account_id: int) -> None:
        await self._bump(account_version(account_id))

    async def catalogue_changed(self) -> None:
        await self._bump(CATALOGUE_VERSION)

    async def _bump(self, key: str) -> None:
        async def bump() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.incr(key)
                pipe.expire(key, VERSION_SECONDS)
                await pipe.execute()

        await self._guard.call("response cache", bump, None)


def _keep(mapping: dict[K, V], key: K, value: V, most: int) -> None:
    """Set `key`, forgetting the oldest entry first when `mapping` holds `most` already."""
    if key not in mapping and len(mapping) >= most:
        del mapping[next(iter(mapping))]
    mapping[key] = value


def _cached_fields(body: bytes) -> tuple[tuple[str, ...], str | None] | None:
    """The root fields of the request's operation, and its name, when it is a query the
    cache may answer (only what `CACHED` allows, no fragment, no directive), else None."""
    try:
        request = orjson.loads(body)
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return None
        name = request.get("operationName")
        document = parse(request["query"])
        operation = get_operation_ast(document, name if isinstance(name, str) else None)
    except (orjson.JSONDecodeError, GraphQLError):
        return None
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    roots = operation.selection_set.selections
    names = [selection.name.value for selection in roots if isinstance(selection, FieldNode)]
    if not any(name in CACHED for name in names):
        return None
    if not _allowed(operation.selection_set, {**CACHED, "__typename": ANY}):
        return None
    return tuple(names), operation.name.value if operation.name else None


def _allowed(selection_set: SelectionSetNode, rule: Rule) -> bool:
    if rule is ANY:
        return True
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            return False
        if selection.name.value not in rule:
            return False
        inner = selection.selection_set
        if inner is not None and not _allowed(inner, rule[selection.name.value]):
            return False
    return True
