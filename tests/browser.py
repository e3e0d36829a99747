"""Headless Chromium (Debian's package) driven by Playwright, with the outside network cut off.

Only the app under test (127.0.0.1) is reachable: Chromium resolves no other host name, and
every request for another host is refused and recorded, so a test can assert that a page
needed nothing from the internet. Without Chromium the browser tests are skipped with a
message on a developer's machine; under CI they fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, Page, Route, async_playwright

from tests.conftest import required_program

CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No host name resolves but the loopback address: nothing can load from the internet.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@dataclass
class OfflineBrowser:
    context: BrowserContext
    refused: list[str] = field(default_factory=list)  # requests for anything but 127.0.0.1

    async def page(self) -> Page:
        page = await self.context.new_page()
        page.set_default_timeout(15_000)
        return page


@asynccontextmanager
async def offline_browser() -> AsyncIterator[OfflineBrowser]:
    executable = required_program("chromium", "apt-get install -y chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(viewport={"width": 1366, "height": 800})
            offline = OfflineBrowser(context)

            async def local_only(route: Route) -> None:
                if urlsplit(route.request.url).hostname == "127.0.0.1":
                    await route.continue_()
                else:
                    offline.refused.append(route.request.url)
                    await route.abort("internetdisconnected")

            await context.route("**/*", local_only)
            yield offline
        finally:
            await browser.close()
