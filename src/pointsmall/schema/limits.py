"""Limits on what one request may ask, and caches for parsing and validation.

Each is an extension class (strawberry builds one per request). The depth and alias rules
are created once here, so the validation cache, keyed by the rule classes, keeps hitting.
"""

from __future__ import annotations

from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2_000
CACHED_DOCUMENTS = 512

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


class CachedValidation(ValidationCache):
    def __init__(self) -> None:
        super().__init__(maxsize=CACHED_DOCUMENTS)
