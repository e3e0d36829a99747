"""The ops console at `/ops`: a page built from `console/` (React, TypeScript, ECharts)
into `static/console`, speaking only the public GraphQL API.

The page and its assets are served with a policy that lets them load nothing but this
origin's scripts, styles and images and talk to nothing but `/graphql` (HTTP and its
websocket): the admin token, pasted into the page and kept in the browser session, has
nowhere else to go.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9a-fA-F:.]+\](:[0-9]{1,5})?")
BUILT = Path(__file__).resolve().with_name("static") / "console"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


async def page(request: Request) -> Response:
    """The console's one page (its views are the URL's fragment: #/reviews...)."""
    index = BUILT / "index.html"
    if not index.exists():
        return PlainTextResponse("the console is not built: make console", status_code=404)
    host = request.headers.get("host", "")
    # the page's own websocket (older browsers do not count ws: as 'self')
    sockets = f" ws://{host} wss://{host}" if HOST.fullmatch(host) else ""
    headers = {
        "content-security-policy": POLICY.replace(
            "connect-src 'self'", f"connect-src 'self'{sockets}"
        ),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-cache",
    }
    return FileResponse(index, headers=headers)


class Assets(StaticFiles):
    """The built scripts and styles (their names carry their hash: cached for good)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                found = message["status"] in (200, 304)  # an error is not kept
                caching = b"public, max-age=31536000, immutable" if found else b"no-cache"
                message["headers"] = [
                    *message.get("headers", []),
                    (b"content-security-policy", POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", caching),
                ]
            await send(message)

        await super().__call__(scope, receive, with_headers)


def routes() -> list[BaseRoute]:
    return [
        Route("/ops", page),
        Route("/ops/", page),
        Mount(  # 830 KB of script, 271 KB gzipped: once per operator (cached for good)
            "/ops/assets",
            GZipMiddleware(Assets(directory=BUILT / "assets", check_dir=False)),
        ),
    ]
