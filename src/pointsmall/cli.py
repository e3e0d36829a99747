"""The `pointsmall` command: serve, migrate, seed-demo, token, jobs, mall, leaderboards, audit."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from pointsmall.auth import Role, issue_token
from pointsmall.config import Settings, SettingsError
from pointsmall.db import apply_migrations
from pointsmall.logs import configure_logging
from pointsmall.runtime import Runtime, engagement_rules, ledger_rules, open_runtime
from pointsmall.serving import server_options

DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    match = DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError("use a number and a unit: 90s, 15m, 12h, 30d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_json)
    command: Callable[[Settings, argparse.Namespace], int] = args.command
    return command(settings, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pointsmall", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the API (GraphiQL at /graphql)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(command=_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(command=_migrate)

    seed = commands.add_parser("seed-demo", help="load demo data and print demo tokens")
    seed.add_argument("--if-empty", action="store_true", help="only into an empty database")
    seed.set_defaults(command=_seed_demo)

    token = commands.add_parser("token", help="print a signed bearer token")
    token.add_argument("user_id")
    token.add_argument("--role", choices=[role.value for role in Role], action="append")
    token.add_argument("--ttl", type=duration, default=timedelta(hours=24))
    token.add_argument("--nickname")
    token.add_argument("--tz", help="IANA time zone claim")
    token.set_defaults(command=_token)

    jobs = commands.add_parser("jobs", help="run a scheduled job once")
    job = jobs.add_subparsers(required=True, metavar="JOB")
    expire = job.add_parser("expire", help="expire the points that are due")
    expire.set_defaults(command=_expire)
    lapse = job.add_parser("lapse-payments", help="cancel redemptions whose payment is overdue")
    lapse.set_defaults(command=_lapse_payments)
    warn = job.add_parser("warn-expiring", help="warn users whose points expire soon")
    warn.set_defaults(command=_warn_expiring)
    matured = job.add_parser("announce-matured", help="tell users pending points matured")
    matured.set_defaults(command=_announce_matured)
    for name, help_text in (
        ("segments", "restate lifecycle segments; give wake-up and birthday gifts"),
        ("rfm", "recompute every user's RFM scores and segment"),
        ("tiers", "the yearly tier review of the users it is due for"),
        ("campaigns", "record campaigns' moves, tell participants, settle what ended"),
        ("rollups", "bring the programme's figures current"),
    ):
        audience = job.add_parser(name, help=help_text)
        audience.set_defaults(command=_audience_job, job=name)

    mall = commands.add_parser("mall", help="mall maintenance")
    mall_commands = mall.add_subparsers(required=True, metavar="TASK")
    reconcile = mall_commands.add_parser(
        "reconcile", help="reset the flash-sale gates in Redis from the database"
    )
    reconcile.set_defaults(command=_reconcile)

    boards = commands.add_parser("leaderboards", help="leaderboard maintenance")
    board_commands = boards.add_subparsers(required=True, metavar="TASK")
    rebuild = board_commands.add_parser(
        "rebuild", help="recompute the current leaderboards in Redis from the ledger"
    )
    rebuild.set_defaults(command=_rebuild_leaderboards)

    seal = commands.add_parser("seal", help="seal stored personal data under the first key")
    seal.add_argument(
        "--rotate", action="store_true", help="seal sealed rows again (after adding a key)"
    )
    seal.set_defaults(command=_seal)

    sdl = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    sdl.add_argument("--output", help="write to this file instead")
    sdl.set_defaults(command=_schema)

    audit = commands.add_parser("audit", help="recompute every account; exit 1 on drift")
    audit.set_defaults(command=_audit)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    try:
        settings.check_can_serve()
    except SettingsError as error:
        print(f"refusing to serve: {error}", file=sys.stderr)
        return 2
    uvicorn.run(
        "pointsmall.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        log_level=settings.log_level.lower(),
        log_config=None,  # ours (`configure_logging`), which keeps request values out
        **server_options(),
    )
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(apply_migrations(settings.database_url))
    print(f"migrations applied to {_where(settings.database_url)}")
    return 0


def _with_database(settings: Settings, work: Callable[[Runtime], Awaitable[int]]) -> int:
    """Run `work` with the database and Redis, so what it changes is announced live too."""

    async def run() -> int:
        async with open_runtime(replace(settings, database_pool_size=4)) as runtime:
            return await work(runtime)

    return asyncio.run(run())


def _seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall.demo import DEMO_ADMIN, DEMO_USER, database_is_empty, seed_demo

    async def work(runtime: Runtime) -> int:
        if args.if_empty and not await database_is_empty():
            print("database already has data: demo not loaded again")
        else:
            await seed_demo(ledger_rules(settings), engagement_rules(settings), settings.public_url)
            print("demo data loaded")
        return 0

    status = _with_database(settings, work)
    month = timedelta(days=30)
    user = issue_token(settings, DEMO_USER, [Role.USER], month, nickname="Demo Dana")
    admin = issue_token(settings, DEMO_ADMIN, [Role.ADMIN], month)
    service = issue_token(settings, "shop-backend", [Role.SERVICE], month)
    print(
        "\nTo sign in, open GraphiQL, click Headers (below the query editor) and paste\n"
        "one of these lines (each valid for 30 days; `pointsmall token` makes more):"
    )
    print(f'  the demo user, Dana : {{"Authorization": "Bearer {user}"}}')
    print(f'  an admin (ops)      : {{"Authorization": "Bearer {admin}"}}')
    print(f'  the shop (service)  : {{"Authorization": "Bearer {service}"}}')
    return status


def _token(settings: Settings, args: argparse.Namespace) -> int:
    roles = [Role(role) for role in (args.role or [Role.USER.value])]
    print(
        issue_token(
            settings, args.user_id, roles, args.ttl, nickname=args.nickname, timezone=args.tz
        )
    )
    return 0


def _expire(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall.domain.ledger.expiry import expire_due_points

    async def work(runtime: Runtime) -> int:
        report = await expire_due_points()
        print(
            f"expired {report.points:,} points of {report.accounts:,} accounts "
            f"in {report.batches} batches"
        )
        return 0

    return _with_database(settings, work)


def _lapse_payments(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall.domain.actors import SYSTEM
    from pointsmall.domain.mall.redemption_lifecycle import lapse_unpaid

    async def work(runtime: Runtime) -> int:
        lapsed = await lapse_unpaid(SYSTEM, ledger_rules(settings))
        print(f"cancelled {lapsed} redemptions whose payment did not arrive")
        return 0

    return _with_database(settings, work)


def _warn_expiring(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall.domain.notifications.inbox import warn_expiring

    async def work(runtime: Runtime) -> int:
        sent = await warn_expiring(ledger_rules(settings), settings.expiry_warning_days)
        print(f"sent {sent} expiry warnings")
        return 0

    return _with_database(settings, work)


def _audience_job(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall.jobs.audience import rfm_restatement, segment_restatement, tier_review
    from pointsmall.jobs.campaigns import campaign_clock
    from pointsmall.jobs.figures import ROLLUPS

    async def work(runtime: Runtime) -> int:
        jobs = {
            "campaigns": campaign_clock(runtime),
            "rollups": ROLLUPS,
            "segments": segment_restatement(runtime),
            "rfm": rfm_restatement(),
            "tiers": tier_review(runtime),
        }
        print(f"{args.job}: {await jobs[args.job].run()}")
        return 0

    return _with_database(settings, work)


def _announce_matured(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall.domain.notifications.inbox import announce_matured

    async def work(runtime: Runtime) -> int:
        sent = await announce_matured()
        print(f"told {sent} users their pending points are now spendable")
        return 0

    return _with_database(settings, work)


def _reconcile(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall.domain.mall.flash_gate import reconcile_all

    async def work(runtime: Runtime) -> int:
        gated = await reconcile_all(runtime.gate)
        print(f"flash-sale gates reset from the database for {gated} items with finite stock")
        return 0

    return _with_database(settings, work)


def _rebuild_leaderboards(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall import clock

    async def work(runtime: Runtime) -> int:
        scores = await runtime.leaderboards.rebuild(clock.now())
        print(f"leaderboards rebuilt from the ledger: {scores:,} scores")
        return 0

    return _with_database(settings, work)


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall import clock
    from pointsmall.domain import figures
    from pointsmall.domain.ledger.audit import audit_ledger

    async def work(runtime: Runtime) -> int:
        report = await audit_ledger()
        books = report.books
        print(f"accounts    {report.accounts:>14,}")
        for name in (
            "issued",
            "adjusted",
            "redeemed",
            "held",
            "expired",
            "forfeited",
            "outstanding",
            "owed",
        ):
            print(f"{name:<11} {getattr(books, name):>14,}")
        if books.issued:
            print(f"consumption {books.redeemed / books.issued:>14.1%}")
            print(f"breakage    {books.expired / books.issued:>14.1%}")
        for drift in report.drift:
            print(
                f"DRIFT {drift.check}: {drift.subject} recorded {drift.recorded} "
                f"recomputed {drift.recomputed}"
            )
        if not books.balanced:
            print("DRIFT the books do not balance")
        # The figures' rollups, brought current, must say what the ledger says.
        await figures.refresh(clock.now())
        rollups = await figures.reconcile()
        for problem in rollups:
            print(f"DRIFT {problem}")
        clean = report.clean and not rollups
        print("clean" if clean else "drift found")
        return 0 if clean else 1

    return _with_database(settings, work)


def _seal(settings: Settings, args: argparse.Namespace) -> int:
    from tortoise.connection import get_connection

    from pointsmall.sealing import seal_rows

    async def work(runtime: Runtime) -> int:
        written = await seal_rows(get_connection("default"), settings.keyring, rotate=args.rotate)
        print(f"sealed {written} shipping addresses")
        return 0

    return _with_database(settings, work)


def _schema(settings: Settings, args: argparse.Namespace) -> int:
    from pointsmall.schema.schema import schema

    text = schema.as_str() + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as output:
            output.write(text)
    else:
        print(text, end="")
    return 0


def _where(database_url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", database_url)


if __name__ == "__main__":
    sys.exit(main())
