"""The layers keep to their parts: types only map what the loaders loaded, the domain knows
nothing of GraphQL, one module decides who sees what. Read from the source itself."""

from __future__ import annotations

import ast
import enum
import re
from collections.abc import Iterator
from pathlib import Path

import pointsmall.models

SOURCE = Path(pointsmall.models.__file__).resolve().parents[1]
ENUMS = {
    name
    for name, value in vars(pointsmall.models).items()
    if isinstance(value, type) and issubclass(value, enum.Enum)
}


# Parsed once, as the tests are collected: CPython 3.11.7 may refuse to build an AST
# ("AST constructor recursion depth mismatch") after deep recursion elsewhere in the run.
PARSED = {
    part: [(path, ast.parse(path.read_text())) for path in sorted((SOURCE / part).rglob("*.py"))]
    for part in ("schema", "resolvers", "domain")
}


def modules(part: str) -> list[tuple[Path, ast.Module]]:
    return PARSED[part]


def run_time_imports(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(module, name) of every import outside `if TYPE_CHECKING:` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            skipped |= {id(inner) for inner in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ""


def test_types_import_no_model_but_enums() -> None:
    for path, tree in modules("schema"):
        for module, name in run_time_imports(tree):
            if module.startswith("pointsmall.models"):
                assert name in ENUMS, f"{path.name} imports the model {name}"
            assert not module.startswith(("tortoise.models", "tortoise.queryset")), path.name
            assert not module.startswith("pointsmall.resolvers") or path.name == "schema.py"


def test_types_await_only_loaders_and_their_own_helpers() -> None:
    helpers = {
        node.name
        for _, tree in modules("schema")
        for node in ast.walk(tree)
        if isinstance(node, ast.AsyncFunctionDef)
    }
    for path, tree in modules("schema"):
        if path.name == "rate_limits.py":  # an extension, not a type: it draws tokens in Redis
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Await) or not isinstance(node.value, ast.Call):
                continue
            called = node.value.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            assert name in {"load", "load_many", "gather"} | helpers, (
                f"{path.name}:{node.lineno} awaits {ast.unparse(called)}"
            )


def test_the_domain_knows_nothing_of_graphql() -> None:
    for path, tree in modules("domain"):
        for module, _ in run_time_imports(tree):
            assert not module.startswith(("strawberry", "graphql", "starlette")), path.name
            assert not module.startswith(("pointsmall.schema", "pointsmall.resolvers")), path.name


def test_one_module_decides_who_sees_what() -> None:
    """Refusing a caller (FORBIDDEN, UNAUTHENTICATED for want of a token) happens in
    `pointsmall.access` and in the authentication of the context alone."""
    allowed = {SOURCE / "access.py", SOURCE / "schema" / "context.py"}
    for part in ("schema", "resolvers"):
        for path, tree in modules(part):
            for node in ast.walk(tree):
                if isinstance(node, ast.Raise) and node.exc is not None:
                    raised = ast.unparse(node.exc)
                    if raised.startswith(("Forbidden(", "Unauthenticated(")):
                        assert path in allowed, f"{path}: {raised}"


def test_the_map_names_files_and_functions_that_exist() -> None:
    """ARCHITECTURE.md stays true: every file it names exists, and every `name` it gives
    in a file's line is defined there."""
    root = SOURCE.parents[1]
    text = (root / "ARCHITECTURE.md").read_text()
    named = re.findall(r"`((?:[a-z_]+/)*[a-z_]+\.py)`((?:[^`\n]|`[a-z_]+`)*)", text)
    assert len(named) > 30
    for path, rest in named:
        file = root / path if path.startswith("tests/") else SOURCE / path
        assert file.exists(), path
        for name in re.findall(r"\(`([a-z_]+)`", rest):
            assert re.search(rf"\b(def|class) {name}\b|^{name} =", file.read_text(), re.M), (
                f"{path} defines no {name}"
            )
