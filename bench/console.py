"""Ops console benchmark: how soon the dashboard paints and plots the demo year.

Run from the repository root (needs Chromium: apt-get install -y chromium):

    .venv/bin/python bench/console.py [--runs 10] [--port 8095]

As `make run` does, in a temporary folder: an embedded SQLite database, migrated, with the
demo loaded; `pointsmall serve` (one worker) on it, its jobs having rolled up the figures.
Then, `--runs` times after one warm-up, a fresh browser context (nothing cached) opens
/ops with an admin token already in the tab's session and measures, from the navigation's
start: the first contentful paint (the browser's own `first-contentful-paint`), and the
moment the dashboard's six plots are drawn (their SVG in the page, with the figures of
programMetrics and segmentFigures). Median, fastest and slowest.

This prints figures; it asserts nothing about them.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from common import base_url, pointsmall_command, server, server_environment

PLOTS = 6
FIRST_PAINT = """() => new Promise(resolve => new PerformanceObserver(list => {
  const found = list.getEntriesByName('first-contentful-paint')[0];
  if (found) resolve(found.startTime);
}).observe({ type: 'paint', buffered: true }))"""
# When the plots are in the page: watched as the page changes (the console's policy allows
# no eval, so no polling of an expression).
DRAWN = """plots => new Promise(resolve => {
  const check = () => {
    const drawn = [...document.querySelectorAll('figure.chart svg')]
      .filter(svg => svg.querySelector('path'));
    if (drawn.length >= plots) { observer.disconnect(); resolve(performance.now()); }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true });
  check();
})"""


def prepare(folder: Path, port: int) -> tuple[dict[str, str], str]:
    env = server_environment(f"sqlite://{folder}/demo.sqlite3", "")
    env.pop("REDIS_URL")
    env["PUBLIC_URL"] = base_url(port)
    command = pointsmall_command()
    subprocess.run([command, "migrate"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([command, "seed-demo"], env=env, check=True, capture_output=True)
    print(f"demo loaded in {time.perf_counter() - started:.1f} s")
    token = subprocess.run(
        [command, "token", "ops-bench", "--role", "admin"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return env, token


def rolled_up(port: int, token: str) -> None:
    """Wait for the server's first rollup (its jobs start with it)."""
    deadline = time.monotonic() + 60
    today = date.today()
    since, until = today.replace(year=today.year - 1), today + timedelta(days=1)
    query = f'{{ programMetrics(since: "{since}", until: "{until}") {{ issued }} }}'
    while time.monotonic() < deadline:
        answer = httpx.post(
            f"{base_url(port)}/graphql",
            json={"query": query},
            headers={"authorization": f"Bearer {token}"},
        ).json()
        if any(month["issued"] for month in answer["data"]["programMetrics"]):
            return
        time.sleep(0.5)
    raise SystemExit("the figures were never rolled up")


async def measure(port: int, token: str, runs: int) -> list[tuple[float, float]]:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Chromium is missing: apt-get install -y chromium")
    timings = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for run in range(runs + 1):
            context = await browser.new_context(viewport={"width": 1366, "height": 800})
            await context.add_init_script(
                f"sessionStorage.setItem('pointsmall.ops.token', {token!r})"
            )
            page = await context.new_page()
            await page.goto(f"{base_url(port)}/ops")
            plotted = await page.evaluate(DRAWN, PLOTS)
            painted = await page.evaluate(FIRST_PAINT)
            if run:  # the first one warms the server
                timings.append((painted, plotted))
            await context.close()
        await browser.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--port", type=int, default=8095)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env, token = prepare(Path(folder), args.port)
        with server(args.port, 1, env, Path(folder) / "server.log"):
            rolled_up(args.port, token)
            timings = asyncio.run(measure(args.port, token, args.runs))
    print(f"\n/ops dashboard on the demo, {args.runs} fresh browser contexts after a warm-up:")
    print(f"{'':28}{'median':>10}{'fastest':>10}{'slowest':>10}")
    for name, values in (
        ("first contentful paint", [paint for paint, _ in timings]),
        ("six plots drawn", [plot for _, plot in timings]),
    ):
        print(
            f"{name:28}{statistics.median(values):>8.0f}ms{min(values):>8.0f}ms"
            f"{max(values):>8.0f}ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
