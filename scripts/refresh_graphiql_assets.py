"""Refresh the GraphiQL assets shipped in the package, from the npm registry.

The server never fetches these at run time: GraphiQL's page loads them from the app itself
(`/static/graphiql/...`), so it works without internet. This script is how they got there
and how to move to other versions: edit `ASSETS` (pinned versions), run

    .venv/bin/python scripts/refresh_graphiql_assets.py

and commit what changed under `src/pointsmall/static/graphiql/`. For each package it
downloads the tarball the registry names, checks it against the registry's own `integrity`
(sha512), copies the files below, writes each package's licence, and records every file
with its subresource-integrity hash (sha384) in `assets.json`, which the page uses for its
`integrity` attributes. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
TARGET = Path(__file__).resolve().parents[1] / "src" / "pointsmall" / "static" / "graphiql"


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    source: str  # path inside the tarball's `package/`
    file: str  # name in TARGET
    role: str  # "script" (in order), "style", "module" (served, not loaded by the page)


@dataclass(frozen=True)
class Licence:
    package: str
    version: str
    source: str  # the file inside the tarball that holds the licence text


# The versions strawberry's own GraphiQL page used (strawberry-graphql 0.341), pinned.
ASSETS = [
    Asset("react", "18.2.0", "umd/react.production.min.js", "react.production.min.js", "script"),
    Asset(
        "react-dom",
        "18.2.0",
        "umd/react-dom.production.min.js",
        "react-dom.production.min.js",
        "script",
    ),
    Asset("graphiql", "3.8.3", "graphiql.min.js", "graphiql.min.js", "script"),
    Asset("graphiql", "3.8.3", "graphiql.min.css", "graphiql.min.css", "style"),
    Asset(
        "@graphiql/plugin-explorer",
        "1.0.2",
        "dist/index.umd.js",
        "plugin-explorer.umd.js",
        "script",
    ),
    Asset("@graphiql/plugin-explorer", "1.0.2", "dist/style.css", "plugin-explorer.css", "style"),
    # The graphql-ws client as ES modules, for the README's browser-console example.
    Asset("graphql-ws", "5.16.2", "lib/client.mjs", "graphql-ws/client.mjs", "module"),
    Asset("graphql-ws", "5.16.2", "lib/common.mjs", "graphql-ws/common.mjs", "module"),
    Asset("graphql-ws", "5.16.2", "lib/utils.mjs", "graphql-ws/utils.mjs", "module"),
]
LICENCES = [
    Licence("react", "18.2.0", "LICENSE"),
    Licence("react-dom", "18.2.0", "LICENSE"),
    Licence("graphiql", "3.8.3", "LICENSE"),
    # The explorer plugin's tarball carries no licence file; it is MIT, from the same
    # monorepo (graphql/graphiql) as graphiql, whose licence text it shares.
    Licence("@graphiql/plugin-explorer", "1.0.2", "graphiql@3.8.3:LICENSE"),
    Licence("graphql-ws", "5.16.2", "LICENSE.md"),
]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        body: bytes = response.read()
    return body


@dataclass(frozen=True)
class Tarball:
    url: str
    data: bytes


def tarball(package: str, version: str, cache: dict[str, Tarball]) -> Tarball:
    """The package's tarball, checked against the registry's sha512 integrity."""
    name = f"{package}@{version}"
    if name in cache:
        return cache[name]
    metadata = json.loads(fetch(f"{REGISTRY}/{package}/{version}"))
    dist = metadata["dist"]
    data = fetch(dist["tarball"])
    algorithm, _, expected = dist["integrity"].partition("-")
    if algorithm != "sha512":
        raise SystemExit(f"{name}: unexpected integrity algorithm {algorithm}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{name}: the tarball does not match the registry's integrity")
    cache[name] = Tarball(dist["tarball"], data)
    return cache[name]


def member(package: Tarball, path: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(package.data), mode="r:gz") as archive:
        extracted = archive.extractfile(f"package/{path}")
        if extracted is None:
            raise SystemExit(f"{path} is not a file in the tarball")
        return extracted.read()


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def main() -> int:
    cache: dict[str, Tarball] = {}
    fresh = TARGET.with_name("graphiql.new")
    shutil.rmtree(fresh, ignore_errors=True)
    (fresh / "LICENSES").mkdir(parents=True)
    manifest = []
    for asset in ASSETS:
        package = tarball(asset.package, asset.version, cache)
        data = member(package, asset.source)
        path = fresh / asset.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        manifest.append(
            {
                "package": asset.package,
                "version": asset.version,
                "source": asset.source,
                "file": asset.file,
                "role": asset.role,
                "integrity": sri(data),
                "tarball": package.url,
            }
        )
        print(f"{asset.package}@{asset.version} {asset.source} -> {asset.file}")
    for licence in LICENCES:
        owner, version, source = licence.package, licence.version, licence.source
        if "@" in source.split(":")[0][1:]:  # "other@version:path": another package's file
            other, _, source = source.partition(":")
            owner, _, version = other.rpartition("@")
        text = member(tarball(owner, version, cache), source)
        safe = licence.package.replace("/", "__").lstrip("@")
        (fresh / "LICENSES" / f"{safe}-{licence.version}.txt").write_bytes(text)
    (fresh / "assets.json").write_text(json.dumps({"assets": manifest}, indent=2) + "\n")
    page = TARGET / "page.html"
    if page.exists():
        shutil.copy(page, fresh / "page.html")
    shutil.rmtree(TARGET, ignore_errors=True)
    fresh.rename(TARGET)
    print(f"wrote {len(manifest)} files and {len(LICENCES)} licences to {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
