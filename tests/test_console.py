"""The ops console as an operator meets it: in a real browser with no internet, on the demo.

Signed in with an admin token, the dashboard plots the demo year's figures (the ones the
API gives), a review approved in the queue changes the user's redemption, a campaign goes
from draft to settlement by its buttons, and a risk case that opens while the queue is on
screen appears there without a reload.

`CONSOLE_SCREENSHOTS=docs/console` saves a screenshot of each page there (the README's).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Locator, Page, expect

from pointsmall.app import create_app
from pointsmall.demo import seed_demo
from pointsmall.domain import figures
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.browser import offline_browser
from tests.mall.helpers import grant
from tests.notifications.helpers import subscriptions_in_place
from tests.risk.test_risk import RULE, check_in_from
from tests.test_config import RANDOM_SECRET

SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")
# Form controls and buttons with no accessible name (a label, aria-label or text).
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(control => control.type !== 'hidden')
  .filter(control => !(control.labels && control.labels.length) &&
    !control.getAttribute('aria-label') && !control.textContent.trim())
  .map(control => control.outerHTML)"""


async def looked_at(page: Page, name: str) -> None:
    """A page as the operator sees it: every control named (for screen readers); its
    screenshot saved when asked."""
    unnamed = await page.evaluate(UNNAMED_CONTROLS)
    assert unnamed == [], (name, unnamed)
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


async def sign_in(page: Page, address: str, token: str) -> None:
    await page.goto(f"http://{address}/ops")
    await page.get_by_label("Admin token").fill(token)
    await page.get_by_role("button", name="Sign in").click()


def chart(page: Page, title: str) -> Locator:
    return page.locator("figure.chart", has=page.get_by_text(title, exact=True))


async def table_rows(figure: Locator) -> list[list[str]]:
    rows: list[list[str]] = await figure.locator("tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.children].map(cell => cell.textContent))"
    )
    return rows


async def test_an_operator_runs_the_programme_from_the_console(
    api: Api, live_server: str, runtime: Runtime
) -> None:
    await seed_demo(runtime.rules, runtime.engagement, runtime.settings.public_url)
    await figures.refresh(datetime.now(UTC))
    admin = api.admin("ops-browser")
    async with offline_browser() as browser:
        page = await browser.page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        await sign_in(page, live_server, admin)

        # The dashboard: the plots are drawn, and with the API's figures.
        issued = chart(page, "Points issued, redeemed and expired")
        await expect(issued.locator("svg path").first).to_be_attached()
        today = datetime.now(UTC).date()
        months = (
            await api.data(
                """query($since: Date!, $until: Date!) { programMetrics(since: $since,
                  until: $until, interval: MONTH) { issued redeemed expired liability } }""",
                admin,
                since=today.replace(day=1).replace(year=today.year - 1).isoformat(),
                until=today.isoformat(),
            )
        )["programMetrics"]
        months = months[-len(await table_rows(issued)) :]
        shown = await table_rows(issued)
        assert [[row[1], row[2], row[3]] for row in shown] == [
            [f"{m['issued']:,}", f"{m['redeemed']:,}", f"{m['expired']:,}"] for m in months
        ]
        assert len(shown) >= 12  # the demo's year
        bars = await issued.locator('svg path[fill="#1d4ed8"]').count()
        assert bars >= len([m for m in months if m["issued"]])  # a bar per month issued
        liability = await table_rows(chart(page, "Outstanding liability (points)"))
        assert liability[-1][1] == f"{months[-1]['liability']:,}"
        for title in ("Breakage and consumption rates", "Earners and redeemers", "Members by tier"):
            await expect(chart(page, title).locator("svg path").first).to_be_attached()
        await looked_at(page, "dashboard")

        # The review queue: approve carol's headphones, see her redemption change.
        await page.get_by_role("link", name="Reviews").click()
        queue = page.get_by_role("list", name="Review queue")
        carol = queue.locator("li", has=page.get_by_role("link", name="carol", exact=True))
        await expect(carol).to_have_count(1)
        await looked_at(page, "reviews")
        await carol.get_by_label("Note").fill("known customer")
        await carol.get_by_role("button", name="Approve").click()
        await expect(page.get_by_role("status").first).to_contain_text("Approved carol's")
        await expect(carol).to_have_count(0)
        redemptions = await api.data(
            '{ account(userId: "carol") { redemptions(first: 5) { edges { node { status '
            "item { title } } } } } }",
            admin,
        )
        headphones = [
            edge["node"]["status"]
            for edge in redemptions["account"]["redemptions"]["edges"]
            if edge["node"]["item"]["title"] == "Noise-cancelling headphones"
        ]
        assert headphones and headphones[0] != "PENDING_REVIEW"
        await page.goto(f"http://{live_server}/ops#/users?user=carol")
        row = page.get_by_role("table", name="Redemptions").locator(
            "tr", has=page.get_by_text("Noise-cancelling headphones")
        )
        await expect(row).to_contain_text(headphones[0])
        await looked_at(page, "users")

        # A new risk case appears in the open queue, live.
        await page.get_by_role("link", name="Reviews").click()
        await expect(page.get_by_text("Live: new ones appear here.")).to_be_visible()
        await subscriptions_in_place(runtime, 1, timeout=10)
        changed = await api.data(
            RULE, admin, input={"code": "DEVICE_CHECK_IN_ACCOUNTS", "threshold": 2}
        )
        assert changed["updateRiskRule"]["errors"] == []
        for user in ("tablet-1", "tablet-2"):
            checked_in = await check_in_from(api, user, "shared-tablet")
            assert "errors" not in checked_in, checked_in
        arrived = queue.locator("li", has=page.get_by_text("new", exact=True))
        await expect(arrived).to_have_count(1)
        await expect(arrived).to_contain_text("DEVICE_CHECK_IN_ACCOUNTS")
        await expect(arrived).to_contain_text("tablet-1")
        await expect(page.get_by_role("status").first).to_contain_text("New risk case")
        await arrived.get_by_text("Signals", exact=True).click()  # what the reviewer reads
        signals = arrived.get_by_role("table")
        await expect(signals).to_contain_text("CHECK_IN")
        await expect(signals).to_contain_text("device:")
        assert "shared-tablet" not in await signals.inner_text()  # hashes, cut

        # The operator clears the queue: a decision, with a note, on each.
        waiting = await queue.locator("li").count()
        while waiting:
            item = queue.locator("li").first
            await item.get_by_label("Note").fill("checked")
            await item.locator("button").first.click()  # approve, or release
            waiting -= 1
            await expect(queue.locator("li")).to_have_count(waiting)
        await expect(page.get_by_text("Nothing waits for review.")).to_be_visible()
        open_now = await api.data(
            "{ riskCases { id } redemptions(status: PENDING_REVIEW) { edges { cursor } } }",
            admin,
        )
        assert open_now == {"riskCases": [], "redemptions": {"edges": []}}

        # A campaign from draft to settlement.
        await page.get_by_role("link", name="Campaigns").click()
        await page.get_by_text("New campaign", exact=True).click()
        form = page.get_by_role("form", name="New campaign")
        await form.get_by_label("Name").fill("Browser week")
        await form.get_by_label("Budget (points)").fill("5000")
        await form.get_by_role("button", name="Create draft").click()
        detail = page.get_by_role("region", name="Campaign Browser week")
        await expect(detail.locator(".status")).to_have_text("DRAFT")
        for button, status in (("Publish", "LIVE"), ("End now", "ENDED"), ("Settle", "SETTLED")):
            await detail.get_by_role("button", name=button).click()
            await expect(detail.locator("h2 .status")).to_have_text(status)
        listed = await api.data("{ campaigns { name status } }", admin)
        assert {"name": "Browser week", "status": "SETTLED"} in listed["campaigns"]
        await page.get_by_role("button", name="Check-in reward test").click()
        experiment = chart(page, "A/B test: rates per variant, 95% intervals")
        await expect(experiment.locator("svg path").first).to_be_attached()
        assert len(await table_rows(experiment)) == 6  # two variants, three rates each
        await looked_at(page, "campaigns")

        await page.get_by_role("link", name="Catalogue").click()
        await expect(page.get_by_role("table", name="Items")).to_contain_text("Tea sampler")
        await looked_at(page, "catalogue")

        # The keyboard reaches the views.
        await page.goto(f"http://{live_server}/ops#/dashboard")
        await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        for _ in range(12):
            await page.keyboard.press("Tab")
            if await page.evaluate("() => document.activeElement.textContent") == "Users":
                break
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Users")).to_be_visible()

        assert problems == [], problems
        assert browser.refused == [], "the console asked the internet for something"


async def test_only_an_admin_token_signs_in(api: Api, live_server: str) -> None:
    async with offline_browser() as browser:
        page = await browser.page()
        await sign_in(page, live_server, api.user("mei"))
        await expect(page.get_by_role("alert")).to_contain_text("not an admin's")
        await sign_in(page, live_server, "not a token")
        await expect(page.get_by_role("alert")).to_be_visible()
        assert await page.evaluate("() => sessionStorage.length") == 0
        token = api.admin()
        await sign_in(page, live_server, token)
        await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        stored: Any = await page.evaluate("() => Object.values(sessionStorage)")
        assert stored == [token]  # kept in the tab's session, and only there
        assert "eyJ" not in page.url  # never in a URL
        expired = token[:-4] + "AAAA"  # as good as an expired or revoked token
        await page.evaluate(f"() => sessionStorage.setItem('pointsmall.ops.token', '{expired}')")
        await page.reload()
        await expect(page.get_by_label("Admin token")).to_be_visible()  # asked again
        assert await page.evaluate("() => sessionStorage.length") == 0


async def test_the_console_is_off_in_production_unless_asked(runtime: Runtime) -> None:
    settings = replace(runtime.settings, environment="production", jwt_secret=RANDOM_SECRET)
    for enabled, status in ((False, 404), (True, 200)):
        app = create_app(replace(settings, ops_console=enabled), runtime)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            page = await http.get("/ops")
            if enabled:
                [script] = re.findall(r'src="(/ops/assets/[^"]+\.js)"', page.text)
                served = await http.get(script, headers={"accept-encoding": "gzip"})
                missing = await http.get("/ops/assets/index-nothing.js")
        assert page.status_code == status
        if enabled:
            policy = page.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "connect-src 'self' ws://t wss://t" in policy
            assert served.headers["content-encoding"] == "gzip"
            assert "immutable" in served.headers["cache-control"]  # its name has its hash
            assert served.num_bytes_downloaded < len(served.content) / 2  # compressed
            assert missing.status_code == 404  # and not kept for good
            assert "immutable" not in missing.headers.get("cache-control", "")


async def test_an_operator_keeps_the_catalogue_and_acts_on_a_user(
    api: Api, live_server: str
) -> None:
    admin = api.admin("ops-browser")
    await grant(api, "mei", 500)
    async with offline_browser() as browser:
        page = await browser.page()
        await sign_in(page, live_server, admin)
        await page.get_by_role("link", name="Catalogue").click()
        await page.get_by_text("New item", exact=True).click()
        form = page.get_by_role("form", name="New item")
        await form.get_by_label("Title").fill("Picnic blanket")
        await form.get_by_label("Category").fill("outdoor")
        await form.get_by_label("Price (points)").fill("350")
        await form.get_by_label("Stock (empty: unlimited)").fill("5")
        await form.get_by_role("button", name="Create item").click()
        items = page.get_by_role("table", name="Items")
        row = items.locator("tr", has=page.get_by_text("Picnic blanket"))
        await expect(row).to_contain_text("5 of 5")
        await row.get_by_text("Edit", exact=True).click()
        await (
            row.get_by_role("form", name="Restock Picnic blanket")
            .get_by_label("Units to add")
            .fill("3")
        )
        await row.get_by_role("button", name="Restock").click()
        await expect(row).to_contain_text("8 of 8")
        edit = row.get_by_role("form", name="Edit Picnic blanket")
        await edit.get_by_label("Price (points)").fill("400")
        await edit.get_by_role("button", name="Save").click()
        await expect(row.locator("td").nth(2)).to_have_text("400")
        await row.get_by_role("button", name="Archive").click()
        await expect(row).to_have_count(0)  # the list shows active items
        found = await api.data(
            "{ items(status: ARCHIVED) { edges { node { title pricePoints stock } } } }", admin
        )
        assert {"title": "Picnic blanket", "pricePoints": 400, "stock": 8} in [
            edge["node"] for edge in found["items"]["edges"]
        ]

        await page.get_by_role("link", name="Users").click()
        await page.get_by_label("User id").fill("mei")
        await page.get_by_role("button", name="Find").click()
        points = page.get_by_role("region", name="Points")
        await expect(points).to_contain_text("500")
        adjust = page.get_by_role("form", name="Adjust points")
        await adjust.get_by_label("Points (negative to take)").fill("-120")
        await adjust.get_by_label("Reason").fill("duplicate grant")
        await adjust.get_by_role("button", name="Adjust").click()
        await expect(points.locator(".tile").first).to_contain_text("380")
        ledger = page.get_by_role("table", name="Ledger (latest 20)")
        await expect(ledger.locator("tbody tr").first).to_contain_text("duplicate grant")
        ban = page.get_by_role("form", name="Ban")
        await ban.get_by_label("redeem").uncheck()
        await ban.get_by_label("join").uncheck()
        await ban.get_by_label("Reason").fill("farming check-ins")
        await ban.get_by_role("button", name="Ban").click()
        await expect(page.get_by_role("region", name="Risk cases and bans")).to_contain_text(
            "EARN until"
        )
        freeze = page.get_by_role("form", name="Freeze")
        await freeze.get_by_label("Reason").fill("under investigation")
        await freeze.get_by_role("button", name="Freeze").click()
        await expect(page.get_by_role("heading", level=2)).to_contain_text("FROZEN")
        shown = await api.data(
            '{ account(userId: "mei") { frozen points { balance } } bans(userId: "mei") '
            "{ scopes reason } }",
            admin,
        )
        assert shown == {
            "account": {"frozen": True, "points": {"balance": 380}},
            "bans": [{"scopes": ["EARN"], "reason": "farming check-ins"}],
        }
        assert browser.refused == []
