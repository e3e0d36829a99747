"""GraphiQL as a frontend developer meets it: in a real browser, with no internet.

The page and every asset come from the app; a query runs with a token pasted into the
Headers tab, and a subscription started in GraphiQL receives a live notification.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from dataclasses import replace

import httpx
from playwright.async_api import ConsoleMessage, Page

from pointsmall.app import create_app
from pointsmall.config import Settings
from pointsmall.graphiql import GRAPHIQL
from pointsmall.runtime import Runtime
from tests.api import Api
from tests.browser import offline_browser
from tests.mall.helpers import grant
from tests.notifications.helpers import subscriptions_in_place
from tests.test_config import RANDOM_SECRET
from tests.test_readme import readme_blocks

ME = "query Me { me { nickname points { balance } } }"
LIVE = """subscription Live { notifications {
  __typename ... on PointsEarned { amount reason } } }"""


async def set_editor(page: Page, selector: str, text: str) -> None:
    """Replace a visible editor's text the way typing would (CodeMirror fires its events)."""
    editor = page.locator(f"{selector} .CodeMirror >> visible=true").first
    await editor.wait_for()
    await editor.evaluate("(element, text) => element.CodeMirror.setValue(text)", text)
    await page.wait_for_timeout(300)  # GraphiQL reads an edit after a short debounce


async def response_text(page: Page) -> str:
    text: str = await page.evaluate(
        """() => document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue()"""
    )
    return text


async def wait_for_response(page: Page, needle: str, seconds: float = 10) -> str:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        text = await response_text(page)
        if needle in text:
            return text
        assert asyncio.get_running_loop().time() < deadline, f"{needle!r} never shown: {text}"
        await asyncio.sleep(0.1)


async def test_graphiql_works_offline_with_a_token_and_a_live_subscription(
    api: Api, live_server: str, runtime: Runtime
) -> None:
    await grant(api, "mei", 120, "g0")
    async with offline_browser() as browser:
        page = await browser.page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"http://{live_server}/graphql")
        await page.locator(".graphiql-execute-button").wait_for()
        assert await page.title() == "pointsmall GraphiQL"

        await page.get_by_role("button", name="Headers").click()
        token = api.user("mei", nickname="Mei")
        await set_editor(
            page, ".graphiql-editor-tool", json.dumps({"Authorization": f"Bearer {token}"})
        )
        await set_editor(page, ".graphiql-query-editor", ME)
        await page.locator(".graphiql-execute-button").click()
        shown = json.loads(await wait_for_response(page, "balance"))
        assert shown["data"]["me"]["points"]["balance"] == 120

        await set_editor(page, ".graphiql-query-editor", LIVE)
        await page.locator(".graphiql-execute-button").click()
        await subscriptions_in_place(runtime, 1, timeout=10)
        await grant(api, "mei", 321, "g1", reason="live in the browser")
        shown = json.loads(await wait_for_response(page, "321"))
        assert shown["data"]["notifications"] == {
            "__typename": "PointsEarned",
            "amount": 321,
            "reason": "live in the browser",
        }
        assert browser.refused == [], "the page asked the internet for something"
        assert errors == []


async def test_every_asset_is_shipped_with_its_integrity_and_licence(live_server: str) -> None:
    manifest = json.loads((GRAPHIQL / "assets.json").read_text())
    licences = {path.name for path in (GRAPHIQL / "LICENSES").iterdir()}
    async with httpx.AsyncClient(base_url=f"http://{live_server}") as http:
        page = (await http.get("/graphql", headers={"accept": "text/html"})).text
        assert "unpkg.com" not in page and "cdn" not in page.lower()
        for asset in manifest["assets"]:
            served = await http.get(f"/static/graphiql/{asset['file']}")
            assert served.status_code == 200
            digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
            assert asset["integrity"] == f"sha384-{digest}", asset["file"]
            if asset["role"] != "module":
                assert asset["integrity"] in page
            name = asset["package"].lstrip("@").replace("/", "__")
            assert f"{name}-{asset['version']}.txt" in licences


async def test_production_serves_no_graphiql(runtime: Runtime) -> None:
    settings = replace(runtime.settings, environment="production", jwt_secret=RANDOM_SECRET)
    assert (
        Settings.from_env({"POINTSMALL_ENV": "production", "JWT_SECRET": RANDOM_SECRET}).graphiql
        is False
    )
    app = create_app(replace(settings, graphiql=False), runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
    assert "GraphiQL" not in page.text


async def test_the_readme_browser_console_example_receives_a_notification(
    api: Api, live_server: str, runtime: Runtime
) -> None:
    [example] = readme_blocks("js")
    async with offline_browser() as browser:
        page = await browser.page()
        logged: list[ConsoleMessage] = []
        page.on("console", lambda message: logged.append(message))
        await page.goto(f"http://{live_server}/graphql")
        # As pasted into the console (which allows a top-level await), with a real token.
        await page.evaluate(f"async () => {{ {example.replace('TOKEN', api.user('mei'))} }}")
        await subscriptions_in_place(runtime, 1, timeout=10)
        await grant(api, "mei", 77, "js", reason="seen in the console")
        deadline = asyncio.get_running_loop().time() + 10
        while not logged:
            assert asyncio.get_running_loop().time() < deadline, "nothing logged"
            await asyncio.sleep(0.1)
        shown = await logged[0].args[0].json_value()
        assert shown["__typename"] == "PointsEarned"
        assert (shown["amount"], shown["reason"]) == (77, "seen in the console")
        assert browser.refused == []
