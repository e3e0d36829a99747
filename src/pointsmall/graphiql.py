"""GraphiQL, served by the app itself: its page and every asset come from the package.

The assets (react, react-dom, graphiql, the explorer plugin, and the graphql-ws client for
the README's browser example) are pinned copies from the npm registry, refreshed by
`scripts/refresh_graphiql_assets.py`, which also records their subresource-integrity
hashes in `assets.json`. Nothing is fetched from a CDN, so the page works offline.
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from pathlib import Path

STATIC = Path(__file__).resolve().with_name("static")
GRAPHIQL = STATIC / "graphiql"
ASSETS_URL = "static/graphiql"  # relative to /graphql, so a path prefix keeps working


@cache
def graphiql_page() -> str:
    """The page, with a tag and an integrity hash for each asset it loads."""
    manifest = json.loads((GRAPHIQL / "assets.json").read_text())
    styles, scripts = [], []
    for asset in manifest["assets"]:
        url = escape(f"{ASSETS_URL}/{asset['file']}")
        integrity = escape(asset["integrity"])
        if asset["role"] == "style":
            styles.append(f'<link rel="stylesheet" href="{url}" integrity="{integrity}" />')
        elif asset["role"] == "script":
            scripts.append(f'<script src="{url}" integrity="{integrity}"></script>')
    page = (GRAPHIQL / "page.html").read_text()
    return page.replace("<!-- assets:styles -->", "\n    ".join(styles)).replace(
        "<!-- assets:scripts -->", "\n    ".join(scripts)
    )
