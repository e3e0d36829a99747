"""The service as it runs: lifespan, health, the README's commands, the schema file."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from pointsmall.app import create_app
from pointsmall.config import Settings
from pointsmall.runtime import Runtime
from pointsmall.schema.schema import schema


async def test_health_and_readiness(runtime: Runtime) -> None:
    app = create_app(runtime.settings, runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}


async def test_without_redis_the_service_is_degraded_but_ready(runtime: Runtime) -> None:
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    broken = dataclasses.replace(runtime, redis=unreachable)
    app = create_app(runtime.settings, broken)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        ready = await http.get("/readyz")
    await unreachable.aclose()
    assert ready.status_code == 200  # the database alone serves: keep the worker in rotation
    assert ready.json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}


async def test_the_lifespan_opens_database_and_redis_by_itself(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(environment="test", database_url=database_url)
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        assert (await http.get("/readyz")).json()["status"] == "ready"
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" in page.text.lower()


def test_schema_file_is_current(repo_root: Path) -> None:
    committed = (repo_root / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema.as_str() + "\n", (
        "schema.graphql is stale: run `.venv/bin/pointsmall schema --output schema.graphql`"
    )


def test_readme_commands_exist(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    makefile = (repo_root / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"`make (\w[\w-]*)`", readme):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), (
            f"make {target} is not in the Makefile"
        )
    assert "make run" in readme and "make test" in readme
    assert "make test" in (repo_root / ".ci" / "run").read_text(encoding="utf-8")
    help_text = subprocess.run(
        [sys.executable, "-m", "pointsmall.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for command in re.findall(r"`pointsmall ([a-z][a-z-]+)", readme):
        assert command in help_text, f"pointsmall {command} is not a command"


@pytest.mark.parametrize(
    "args", [["token", "user-1", "--role", "admin", "--ttl", "1h"], ["schema"]]
)
def test_cli_commands_run(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pointsmall.cli", *args], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip()


def test_the_commands_of_make_run_and_of_ops_work_on_a_fresh_database(tmp_path: Path) -> None:
    """What `make run` does (migrate, demo data, tokens), then the jobs and checks ops run:
    the demo's books are clean, and a second `seed-demo --if-empty` loads nothing."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path / 'demo.sqlite3'}",
        "POINTSMALL_ENV": "development",
    }
    env.pop("REDIS_URL", None)

    def pointsmall(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "pointsmall.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    assert "migrations applied" in pointsmall("migrate")
    seeded = pointsmall("seed-demo", "--if-empty")
    assert "demo data loaded" in seeded
    tokens = re.findall(r'"Authorization": "Bearer ([\w.-]+)"', seeded)
    assert len(tokens) == 3
    assert "not loaded again" in pointsmall("seed-demo", "--if-empty")
    for job in ("expire", "warn-expiring", "announce-matured", "lapse-payments", "tiers",
                "campaigns"):  # fmt: skip
        pointsmall("jobs", job)
    assert "'moved': 0" in pointsmall("jobs", "segments")  # the demo's segments are current
    assert pointsmall("jobs", "rfm").strip() == "rfm: 0"  # and its scores: stable
    pointsmall("leaderboards", "rebuild")
    pointsmall("mall", "reconcile")
    assert pointsmall("audit").strip().endswith("clean")  # it exits 1 on any drift
