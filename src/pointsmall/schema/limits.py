"""Limits on what one request may ask, its text checked, and caches for parsing and validation.

Each is an extension class (strawberry builds one per request). The depth and alias rules
are created once here, so the validation cache, keyed by the rule classes, keeps hitting.
In production, callers other than admins get no introspection and no "did you mean"
suggestions: the schema is not for strangers to map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    validate,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from pointsmall.schema.errors import BadUserInput

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2_000
CACHED_DOCUMENTS = 512
SURROGATE = re.compile("[\ud800-\udfff]")

_RULES = [depth_rule(MAX_DEPTH, None), aliases_rule(MAX_ALIASES)]


class DepthAndAliasLimits(AddValidationRules):
    def __init__(self) -> None:
        super().__init__(list(_RULES))


class TokenLimit(MaxTokensLimiter):
    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)


class CachedParsing(ParserCache):
    def __init__(self) -> None:
        super().__init__(maxsize=CACHED_DOCUMENTS)


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    closed: bool,
) -> list[GraphQLError]:
    if closed:
        rules = (*rules, NoSchemaIntrospectionCustomRule)
    return validate(
        schema,
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
        hide_suggestions=closed,
    )


class CachedValidation(SchemaExtension):
    """Validation, cached per document and rules; closed to strangers in production."""

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        assert execution.graphql_document is not None
        execution.pre_execution_errors = _validate(
            execution.schema._schema,
            execution.graphql_document,
            tuple(execution.validation_rules),
            execution.context.schema_is_closed,
        )
        yield


def has_invalid_text(value: object) -> bool:
    """Whether a value holds a string that is not valid Unicode (a lone surrogate, which
    JSON's \\ud800 escapes can carry but no database or encoder accepts)."""
    if isinstance(value, str):
        return not value.isascii() and SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(has_invalid_text(key) or has_invalid_text(item) for key, item in value.items())
    if isinstance(value, list):
        return any(has_invalid_text(item) for item in value)
    return False


class ValidText(SchemaExtension):
    """Refuse invalid Unicode in the document or its variables before anything reads them."""

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        if has_invalid_text(execution.query) or has_invalid_text(execution.variables):
            raise BadUserInput("a string in the request is not valid Unicode")
        yield
