"""Mall benchmark on PostgreSQL + Redis: a flash sale over HTTP, and the `mall` home query.

Run from the repository root (PostgreSQL, Redis and wrk must be running / installed):

    .venv/bin/python bench/mall.py

It creates a fresh database `pointsmall_bench_mall` next to the admin database of
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropping it first
if present and again at the end, and uses Redis database BENCH_REDIS_URL (default
redis://127.0.0.1:6379/13), deleting only the server's `pointsmall:*` keys. It seeds
5,000 users funded with 1,000 points each, a catalogue of 60 active items of every kind,
1,200 redemptions made this week, and for the first 200 users profile tags and points
expiring within 30 days; `pointsmall mall reconcile` then primes the flash-sale gates in
Redis (items created by this process are not primed by a server). Against `pointsmall
serve` on port 8098, with 1 worker and (on 2+ cores) 2 workers, it measures:

1. a flash sale: 5,000 `redeem` attempts, one by each user in a shuffled order, for a
   fresh item of stock 100 (VIRTUAL, limited, one per user per sale) from 200 concurrent
   clients: 200 keep-alive connections of a minimal HTTP/1.1 client in this process (see
   `Connection`: httpx's own CPU would set the pace), opened, and the server warmed, by
   400 `me { id }` queries first. Outcomes by code, attempts per second (the wall time of
   the 5,000), the latency of all attempts, of the confirmed ones and of the OUT_OF_STOCK
   ones, and the rate of the attempts begun after the last confirmation arrived (all of
   them rejections). The database must then hold exactly 100 redemptions of the item and
   no stock. The client's CPU time is shown: near 100 % of the wall time would mean the
   client, not the server, set the pace;
2. the `mall` home query (5 cards of items with the caller's facts) at 50 concurrent
   clients with wrk and bench/me.lua, rotating the 200 users' tokens: a 3 s warm-up, then
   5 runs of 5 s; medians of the runs.

The server runs with the development JWT secret and its default pool (DATABASE_POOL_SIZE
is passed through). This prints figures; it asserts nothing about them, but exits 1 when
the sale sold other than exactly its stock.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import uvloop
from redis.asyncio import Redis

from common import (
    CLIENTS,
    WRK_RUNS,
    BenchError,
    Connection,
    Row,
    asyncpg_url,
    base_url,
    bench_target,
    clear_redis,
    drop_database,
    format_rows,
    nearest_rank,
    pointsmall_command,
    post_request,
    recreate_database,
    server,
    workers_label,
    write_requests,
    wrk_missing,
    wrk_row,
    wrk_runs,
)
from pointsmall import clock
from pointsmall.auth import Role, issue_token
from pointsmall.config import Settings
from pointsmall.db import apply_migrations, open_database
from pointsmall.domain.actors import Actor
from pointsmall.domain.ledger import entries
from pointsmall.domain.ledger.accounts import ProfileUpdate, open_account, upsert_profile
from pointsmall.domain.ledger.audit import audit_ledger
from pointsmall.domain.ledger.entries import LedgerRequest
from pointsmall.domain.ledger.rules import LedgerRules
from pointsmall.domain.mall.catalogue import ItemFields, VirtualRight, add_coupon_codes, create_item
from pointsmall.domain.mall.flash_gate import stock_key
from pointsmall.domain.mall.redemptions import RedeemRequest, ShippingAddress, redeem
from pointsmall.domain.mall.sale_windows import sale_window
from pointsmall.models import Account, Item, ItemKind, ItemStatus, QuotaWindow, SaleRecurrence
from pointsmall.runtime import ledger_rules

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
BENCH_DATABASE = "pointsmall_bench_mall"
PORT = 8098

USERS = 5_000
FUND = 1_000
SEED_CONCURRENCY = 50
SEED_POOL = 20

FLASH_STOCK = 100
FLASH_PRICE = 100
FLASH_CLIENTS = 200
WARM_UP_QUERIES = 2 * FLASH_CLIENTS

MALL_USERS = 200  # wrk asks as these; they have tags and points expiring within 30 days
CATALOGUE = 60
COUPON_CODES = 400  # per COUPON item: its stock
HOT_PRICE = 300  # seed redemptions are of on-sale, points-only items up to this price
KINDS = (ItemKind.PHYSICAL, ItemKind.VIRTUAL, ItemKind.SERVICE, ItemKind.COUPON)
CATEGORIES = ("coffee", "electronics", "travel", "books", "beauty", "home")
TAGS = ("coffee", "mother", "sports", "travel", "gamer", "books", "pets", "kids")
PRICES = (50, 80, 100, 150, 200, 300, 500, 800, 1200, 2500)

REDEEM = (
    "mutation($input: RedeemInput!) { redeem(input: $input) { "
    "redemption { id status } errors { code } } }"
)
WARM_UP_BODY = json.dumps({"query": "query { me { id } }"})
MALL_QUERY = (
    "{ mall { cards { kind title subtitle items { id kind title pricePoints "
    "priceCash { amount currency } remainingStock perUserQuota quotaLeft affordable "
    "pointsShort onSale saleStartsAt saleEndsAt limited } } } }"
)
MALL_BODY = json.dumps({"query": MALL_QUERY})
CARD_KINDS = {"EXPIRING_SOON", "HOT", "FOR_YOU", "LIMITED", "NEW"}

SHOP = Actor(user_id="shop-backend", role="service", request_id="bench")
ADDRESS = ShippingAddress(
    recipient="Bench User",
    line1="1 Bench Street",
    city="Springfield",
    postal_code="12345",
    country="US",
)


@dataclass(frozen=True)
class Seeded:
    account_ids: list[int]
    flash_item_ids: list[int]
    redemptions: int


@dataclass(frozen=True)
class Attempt:
    outcome: str  # the redemption's status, else the error code
    began: float
    ended: float

    @property
    def latency_ms(self) -> float:
        return (self.ended - self.began) * 1000


@dataclass(frozen=True)
class Sale:
    attempts: list[Attempt]
    seconds: float
    client_cpu_seconds: float

    def latencies(self, outcome: str | None = None) -> list[float]:
        return [a.latency_ms for a in self.attempts if outcome is None or a.outcome == outcome]


# --- seeding --------------------------------------------------------------------------


def user_id_of(number: int) -> str:
    return f"bench-user-{number:04d}"


async def in_parallel(jobs: Iterable[Callable[[], Awaitable[None]]]) -> None:
    pending = iter(jobs)

    async def worker() -> None:
        for job in pending:
            await job()

    await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))


async def seed(bench_url: str, rules: LedgerRules, zone: ZoneInfo, sales: int) -> Seeded:
    await apply_migrations(bench_url)
    async with open_database(bench_url, pool_size=SEED_POOL):
        users = [(user_id_of(number), f"Bench User {number:04d}") for number in range(USERS)]
        account_ids = await fund_accounts(users, FUND, rules)
        now = clock.now()
        catalogue = await seed_catalogue(now)
        flash = await seed_flash_items(sales, now)
        hot = [item for item in catalogue if hot_candidate(item, now)]
        # 1,000 users redeem once, the 200 mall users a second time; skewed to the first items
        picks = [(number, hot_pick(number, len(hot))) for number in range(1_000)]
        picks += [(number, hot_pick(number, len(hot)) + 1) for number in range(MALL_USERS)]
        made = await seed_redemptions(
            [(users[number][0], account_ids[number], item) for number, item in picks], hot, rules
        )
        await seed_tags([(users[number][0], number) for number in range(MALL_USERS)])
        await seed_expiring([(account_ids[number], number) for number in range(MALL_USERS)], rules)
    return Seeded(account_ids=account_ids, flash_item_ids=flash, redemptions=made)


async def fund_accounts(
    users: Sequence[tuple[str, str]], fund: int, rules: LedgerRules
) -> list[int]:
    """An account for each (user id, nickname), `fund` points earned; their ids, in order."""
    account_ids: dict[int, int] = {}

    async def open_one(number: int) -> None:
        user_id, nickname = users[number]
        account = await open_account(user_id, nickname=nickname)
        request = LedgerRequest(actor=SHOP, idempotency_key="fund", reason="bench funds")
        await entries.earn(account.id, fund, request, rules)
        account_ids[number] = account.id

    await in_parallel(partial(open_one, number) for number in range(len(users)))
    return [account_ids[number] for number in range(len(users))]


async def seed_catalogue(now: datetime) -> list[Item]:
    """The CATALOGUE items (see `catalogue_item`), the coupon items with their codes."""
    catalogue = [await create_item(catalogue_item(number, now)) for number in range(CATALOGUE)]
    for item in catalogue:
        if item.kind == ItemKind.COUPON:
            codes = [f"BENCH-{item.id}-{code:04d}" for code in range(COUPON_CODES)]
            await add_coupon_codes(item.id, codes)
    return catalogue


async def seed_flash_items(sales: int, now: datetime) -> list[int]:
    return [(await create_item(flash_item(sale, now))).id for sale in range(sales)]


async def seed_redemptions(
    picks: Sequence[tuple[str, int, int]], hot: Sequence[Item], rules: LedgerRules
) -> int:
    """For each (user id, account id, pick), the user redeems hot[pick % len(hot)] once;
    how many redemptions were made."""
    made = 0

    async def redeem_one(number: int) -> None:
        nonlocal made
        user_id, account_id, pick = picks[number]
        item = hot[pick % len(hot)]
        await redeem(
            RedeemRequest(
                user_id=user_id,
                item_id=item.id,
                quantity=1,
                idempotency_key=f"seed-{pick}",
                actor=Actor(user_id, "user", "bench-seed"),
                shipping_address=ADDRESS if item.kind == ItemKind.PHYSICAL else None,
            ),
            gate=None,
            open_account=partial(Account.get, id=account_id),
            rules=rules,
        )
        made += 1

    await in_parallel(partial(redeem_one, number) for number in range(len(picks)))
    return made


async def seed_tags(users: Sequence[tuple[str, int]]) -> None:
    """For each (user id, number): two profile tags drawn from the number."""

    async def tag(user_id: str, number: int) -> None:
        tags = [TAGS[number % len(TAGS)], TAGS[(number // len(TAGS)) % len(TAGS)]]
        await upsert_profile(ProfileUpdate(user_id, tags=tags))

    await in_parallel(partial(tag, *user) for user in users)


async def seed_expiring(accounts: Sequence[tuple[int, int]], rules: LedgerRules) -> None:
    """For each (account id, number): points expiring within 30 days, drawn from the number."""

    async def earn(account_id: int, number: int) -> None:
        request = LedgerRequest(actor=SHOP, idempotency_key="soon", reason="bench expiring")
        expires = clock.now() + timedelta(days=3 + number % 25)
        amount = 300 + 50 * (number % 5)
        await entries.earn(account_id, amount, request, rules, expires_at=expires)

    await in_parallel(partial(earn, *account) for account in accounts)


def catalogue_item(number: int, now: datetime) -> ItemFields:
    """Item `number` of the catalogue: every kind, category and sales rule, deterministically."""
    kind = KINDS[number % len(KINDS)]
    limited = number % 5 == 0
    starts: datetime | None = None
    ends: datetime | None = None
    recurrence = SaleRecurrence.NONE
    if limited and number % 15 == 0:  # opens within 24 h: only on the LIMITED card yet
        starts = now + timedelta(hours=2 + number // 15)
        ends = starts + timedelta(days=1)
    elif limited:
        starts, ends = now - timedelta(hours=1), now + timedelta(days=3)
    elif number % 11 == 7:  # a daily sale, open now
        starts = now - timedelta(days=1, hours=1)
        ends = starts + timedelta(hours=6)
        recurrence = SaleRecurrence.DAILY
    if number % 4 == 1:
        quota, window = 2, QuotaWindow.LIFETIME
    elif number % 7 == 3:
        quota, window = 1, QuotaWindow.DAILY
    else:
        quota, window = None, QuotaWindow.LIFETIME
    finite = kind != ItemKind.COUPON and (limited or number % 3 == 0)
    return ItemFields(
        kind=kind,
        title=f"{kind.value.title()} item {number:02d}",
        category=CATEGORIES[number % len(CATEGORIES)],
        price_points=PRICES[number % len(PRICES)],
        description=f"Item {number} of the bench catalogue.",
        image_urls=[f"https://img.example.com/items/{number}.jpg"],
        tags=[TAGS[number % len(TAGS)], TAGS[(3 * number + 1) % len(TAGS)]]
        if number % 3 != 2
        else [],
        price_cash_amount=499 if number % 9 == 4 else None,
        price_cash_currency="USD" if number % 9 == 4 else None,
        stock=40 + 5 * number if finite else None,
        per_user_quota=quota,
        quota_window=window,
        sale_starts_at=starts,
        sale_ends_at=ends,
        sale_recurrence=recurrence,
        limited=limited,
        high_value=number % 13 == 12,
        status=ItemStatus.ACTIVE,
        sort_weight=10 * (number % 6),
        virtual_right=VirtualRight("Streaming VIP", 30) if kind == ItemKind.VIRTUAL else None,
    )


def flash_item(sale: int, now: datetime) -> ItemFields:
    return ItemFields(
        kind=ItemKind.VIRTUAL,
        title=f"Flash sale {sale + 1}: 7 days of VIP",
        category="flash",
        price_points=FLASH_PRICE,
        stock=FLASH_STOCK,
        per_user_quota=1,
        quota_window=QuotaWindow.SALE,
        sale_starts_at=now - timedelta(minutes=1),
        sale_ends_at=now + timedelta(days=1),
        limited=True,
        status=ItemStatus.ACTIVE,
        sort_weight=100,
        virtual_right=VirtualRight("VIP", 7),
    )


def hot_candidate(item: Item, now: datetime) -> bool:
    """On sale now, points only, no review, cheap, and plenty of stock."""
    window = sale_window(item, now)
    return (
        window is not None
        and window.is_open(now)
        and item.price_cash_amount is None
        and not item.high_value
        and item.price_points <= HOT_PRICE
        and (item.stock_remaining is None or item.kind == ItemKind.COUPON)
    )


def hot_pick(number: int, size: int) -> int:
    """A skewed pick: low indices far more often, so the HOT card has a clear order."""
    fraction = (number * 0.6180339887) % 1.0
    return min(size - 1, int(size * fraction * fraction))


def prime_gates(env: dict[str, str], redis_url: str, item_ids: Sequence[int]) -> str:
    """`pointsmall mall reconcile`, then check the flash items' gates hold their stock."""
    done = subprocess.run(
        [pointsmall_command(), "mall", "reconcile"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"mall reconcile failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    async def gates() -> list[str]:
        redis = Redis.from_url(redis_url, decode_responses=True)
        try:
            return [str(await redis.get(stock_key(item_id))) for item_id in item_ids]
        finally:
            await redis.aclose()

    stocks = asyncio.run(gates())
    if stocks != [str(FLASH_STOCK)] * len(item_ids):
        raise BenchError(f"the flash items' gates are not primed: {stocks}")
    return done.stdout.strip()


# --- the flash sale -------------------------------------------------------------------


def global_id(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def outcome_of(status: int, body: bytes) -> str:
    if status != 200:
        return f"HTTP {status}"
    result = json.loads(body)
    if result.get("errors"):
        return "GRAPHQL " + str(result["errors"][0].get("extensions", {}).get("code"))
    payload = result["data"]["redeem"]
    if payload["errors"]:
        return str(payload["errors"][0]["code"])
    return str(payload["redemption"]["status"])


async def flash_sale(port: int, item_id: int, tokens: Sequence[str], seed: int) -> Sale:
    """Every user (token) tries once, in a shuffled order, on FLASH_CLIENTS warm connections
    to the server on `port`."""
    order = list(range(len(tokens)))
    random.Random(seed).shuffle(order)
    item = global_id("Item", item_id)
    requests = [
        post_request(
            port,
            "/graphql",
            tokens[number],
            json.dumps(
                {
                    "query": REDEEM,
                    "variables": {
                        "input": {"itemId": item, "idempotencyKey": f"flash-{seed}-{number}"}
                    },
                }
            ),
        )
        for number in order
    ]
    connections = [Connection(port) for _ in range(FLASH_CLIENTS)]
    try:
        warm_ups = iter(range(WARM_UP_QUERIES))

        async def warm_up(connection: Connection) -> None:
            for number in warm_ups:
                token = tokens[order[-1 - number]]
                request = post_request(port, "/graphql", token, WARM_UP_BODY)
                status, body = await connection.exchange(request)
                if status != 200 or "errors" in json.loads(body):
                    raise BenchError(f"the warm-up query failed ({status}): {body[:500]!r}")

        await asyncio.gather(*(warm_up(connection) for connection in connections))
        pending = iter(requests)
        attempts: list[Attempt] = []

        async def worker(connection: Connection) -> None:
            for request in pending:
                began = time.perf_counter()
                try:
                    outcome = outcome_of(*await connection.exchange(request))
                except (OSError, asyncio.IncompleteReadError) as error:
                    outcome = type(error).__name__
                attempts.append(Attempt(outcome, began, time.perf_counter()))

        cpu = time.process_time()
        began = time.perf_counter()
        await asyncio.gather(*(worker(connection) for connection in connections))
        seconds = time.perf_counter() - began
        cpu = time.process_time() - cpu
    finally:
        for connection in connections:
            connection.close()
    return Sale(attempts, seconds, cpu)


async def sale_in_database(bench_url: str, redis_url: str, item_id: int) -> tuple[int, int, str]:
    """The item's redemptions and stock left in the database, and its gate in Redis."""
    connection = await asyncpg.connect(asyncpg_url(bench_url))
    try:
        redemptions: int = await connection.fetchval(
            "SELECT count(*) FROM mall_redemption WHERE item_id = $1", item_id
        )
        stock: int = await connection.fetchval(
            "SELECT stock_remaining FROM mall_item WHERE id = $1", item_id
        )
    finally:
        await connection.close()
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        gate = await redis.get(stock_key(item_id))
    finally:
        await redis.aclose()
    return redemptions, stock, str(gate)


def bench_flash_sale(
    workers: int, item_id: int, tokens: Sequence[str], bench_url: str, redis_url: str
) -> tuple[list[Row], list[str]]:
    """The sale's rows of the table, and what went wrong (if anything)."""
    label = f"flash sale redeem, {FLASH_CLIENTS} clients, {workers_label(workers)}"
    print(f"{label}: {USERS:,} attempts for a stock of {FLASH_STOCK}", flush=True)
    sale = uvloop.run(flash_sale(PORT, item_id, tokens, seed=workers))
    counts = Counter(attempt.outcome for attempt in sale.attempts)
    redemptions, stock, gate = asyncio.run(sale_in_database(bench_url, redis_url, item_id))
    confirmed = [a for a in sale.attempts if a.outcome == "CONFIRMED"]
    sold_out_at = max((a.ended for a in confirmed), default=sale.attempts[0].began)
    after = [a for a in sale.attempts if a.began >= sold_out_at]
    after_seconds = max(a.ended for a in sale.attempts) - sold_out_at
    outcomes = ", ".join(f"{outcome} {count:,}" for outcome, count in counts.most_common())
    cpu_share = sale.client_cpu_seconds / sale.seconds
    print(
        f"  {sale.seconds:.2f} s, {len(sale.attempts) / sale.seconds:.1f} attempts/s: {outcomes}\n"
        f"  client CPU {sale.client_cpu_seconds:.1f} s ({cpu_share:.0%} of the wall time); "
        f"database: {redemptions} redemptions, stock left {stock}; gate {gate}\n"
        f"  last confirmation at {sold_out_at - sale.attempts[0].began:.2f} s; "
        f"{len(after):,} attempts began after it, "
        f"{sum(a.outcome != 'OUT_OF_STOCK' for a in after)} of them not OUT_OF_STOCK",
        flush=True,
    )
    problems = []
    if counts["CONFIRMED"] != FLASH_STOCK or redemptions != FLASH_STOCK or stock != 0:
        problems.append(
            f"{label}: {counts['CONFIRMED']} confirmed, {redemptions} redemptions in the "
            f"database, stock left {stock} (expected {FLASH_STOCK}, {FLASH_STOCK}, 0)"
        )
    if set(counts) - {"CONFIRMED", "OUT_OF_STOCK"}:
        problems.append(f"{label}: unexpected outcomes: {outcomes}")
    rows = [
        Row(
            label=label,
            rate=len(sale.attempts) / sale.seconds,
            unit="attempts/s",
            p50_ms=statistics.median(sale.latencies()),
            p99_ms=nearest_rank(sale.latencies(), 0.99),
            note=f"{outcomes}; client CPU {cpu_share:.0%}",
        )
    ]
    for outcome, rate, note in (
        ("CONFIRMED", None, f"{redemptions} redemptions in the database, stock left {stock}"),
        (
            "OUT_OF_STOCK",
            len(after) / after_seconds if after and after_seconds > 0 else None,
            "rate: attempts begun after the last confirmation",
        ),
    ):
        latencies = sale.latencies(outcome)
        if latencies:
            rows.append(
                Row(
                    label=f"  {outcome} responses",
                    rate=rate,
                    unit="attempts/s",
                    p50_ms=statistics.median(latencies),
                    p99_ms=nearest_rank(latencies, 0.99),
                    note=note,
                )
            )
    return rows, problems


# --- the mall query -------------------------------------------------------------------


def verify_mall(port: int, tokens: Sequence[str], body: str = MALL_BODY) -> str:
    """Each user's mall answers 200, no errors, 5 cards with items; one user's, in short."""
    summary = ""
    with httpx.Client(base_url=base_url(port), timeout=10) as client:
        for token in tokens:
            response = client.post(
                "/graphql",
                content=body,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            if response.status_code != 200:
                raise BenchError(f"mall answered {response.status_code}: {response.text[:500]}")
            result = response.json()
            mall = (result.get("data") or {}).get("mall")
            if result.get("errors") or not mall:
                raise BenchError(f"mall answered errors: {response.text[:500]}")
            cards = mall["cards"]
            if {card["kind"] for card in cards} != CARD_KINDS or not all(
                card["items"] for card in cards
            ):
                shown = [(card["kind"], len(card["items"])) for card in cards]
                raise BenchError(f"mall has not 5 cards with items: {shown}")
            if not summary:
                summary = ", ".join(f"{card['kind']} {len(card['items'])}" for card in cards)
    return summary


def bench_mall(workers: int, requests_file: Path, tokens: Sequence[str]) -> Row:
    label = f"mall query, {CLIENTS} clients, {workers_label(workers)}"
    print(f"{label}: items per card {verify_mall(PORT, tokens)}", flush=True)
    runs = wrk_runs(PORT, requests_file)
    verify_mall(PORT, tokens[:5])  # still answering correctly after the load
    return wrk_row(label, runs)


# --- the whole run --------------------------------------------------------------------


async def audit(bench_url: str) -> list[str]:
    async with open_database(bench_url, pool_size=4):
        report = await audit_ledger()
    return [f"ledger audit: {drift.check} {drift.subject}" for drift in report.drift]


def table(rows: Sequence[Row], postgres: str, redis: str, cores: int, pool: int) -> str:
    lines = [
        f"pointsmall mall benchmark  (PostgreSQL {postgres}, Redis {redis}, {cores} cores; "
        f"flash sale: {USERS:,} attempts, stock {FLASH_STOCK}; "
        f"mall: medians of {WRK_RUNS} wrk runs; server pool {pool})"
    ]
    return "\n".join(lines + format_rows(rows))


def main() -> int:
    if wrk_missing():
        return 2
    started = time.perf_counter()
    admin_url, redis_url, bench_url, env = bench_target(BENCH_DATABASE, DEFAULT_REDIS_URL)
    settings = Settings.from_env(env)
    cores = os.cpu_count() or 1
    worker_counts = (1, 2) if cores >= 2 else (1,)
    flash_rows: list[Row] = []
    mall_rows: list[Row] = []
    problems: list[str] = []
    try:
        postgres = asyncio.run(recreate_database(admin_url, BENCH_DATABASE))
        redis = asyncio.run(clear_redis(redis_url))
        print(
            f"seeding {USERS:,} users, {CATALOGUE} items, {len(worker_counts)} flash items",
            flush=True,
        )
        seeding = time.perf_counter()
        seeded = asyncio.run(
            seed(bench_url, ledger_rules(settings), settings.zone, len(worker_counts))
        )
        print(
            f"seeded in {time.perf_counter() - seeding:.1f} s "
            f"({seeded.redemptions:,} redemptions this week)",
            flush=True,
        )
        print(prime_gates(env, redis_url, seeded.flash_item_ids), flush=True)
        tokens = [
            issue_token(settings, user_id_of(number), [Role.USER], timedelta(hours=2))
            for number in range(USERS)
        ]
        with tempfile.TemporaryDirectory(prefix="pointsmall-bench-mall-") as directory:
            requests_file = write_requests(
                Path(directory) / "mall.lua", MALL_BODY, tokens[:MALL_USERS]
            )
            for workers, item_id in zip(worker_counts, seeded.flash_item_ids, strict=True):
                log_path = Path(directory) / f"server-{workers}.log"
                print(f"starting the server with {workers_label(workers)}", flush=True)
                with server(PORT, workers, env, log_path):
                    rows, found = bench_flash_sale(workers, item_id, tokens, bench_url, redis_url)
                    flash_rows += rows
                    problems += found
                    mall_rows.append(bench_mall(workers, requests_file, tokens[:MALL_USERS]))
        drift = asyncio.run(audit(bench_url))
        print(f"ledger audit after the sales: {'DRIFT' if drift else 'clean'}", flush=True)
        problems += drift
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(drop_database(admin_url, BENCH_DATABASE))
        asyncio.run(clear_redis(redis_url))
    print()
    print(table(flash_rows + mall_rows, postgres, redis, cores, settings.database_pool_size))
    print(f"total run time {time.perf_counter() - started:.0f} s")
    for problem in problems:
        print(f"PROBLEM {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
