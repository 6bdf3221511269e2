"""Schema patterns that cannot hang the server. A `pattern` (or a `patternProperties` key, or a
value of `format: regex`) comes from an untrusted spec and is matched against untrusted input:
it runs on RE2 (linear time, no backtracking); the few patterns RE2 cannot run (lookarounds,
backreferences) run on the `regex` module with a time bound, and a trip is a validation
violation, never a stuck worker."""

from __future__ import annotations

import functools
from typing import Callable

import re2
import regex

TIME_BOUND = 0.05  # seconds one backtracking match may take
MAX_PATTERN = 10_000  # characters: longer patterns are not compiled

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a pattern RE2 refuses goes to the fallback, not to stderr


class PatternTimeout(Exception):
    """A backtracking pattern took longer than TIME_BOUND on one input."""


class BadPattern(Exception):
    """A pattern no engine compiles."""


@functools.lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """`search(text) -> bool` for an ECMA-262-style pattern; BadPattern when it does not compile.
    Raises PatternTimeout from `search` when a backtracking fallback exceeds its time bound."""
    if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN:
        raise BadPattern(f"pattern longer than {MAX_PATTERN} characters")
    try:
        compiled = re2.compile(pattern, _OPTIONS)
        return lambda text: compiled.search(text) is not None
    except re2.error:
        pass
    try:
        fallback = regex.compile(pattern, regex.V0)
    except (regex.error, ValueError, OverflowError, RecursionError) as error:
        raise BadPattern(str(error)) from None

    def search(text: str) -> bool:
        try:
            return fallback.search(text, timeout=TIME_BOUND) is not None
        except TimeoutError:
            raise PatternTimeout(pattern) from None

    return search


def is_valid(pattern: str) -> bool:
    try:
        compile_pattern(pattern)
    except BadPattern:
        return False
    return True


def search(pattern: str, text: str) -> bool:
    """True when `text` matches; False when the pattern does not compile (lint reports it)."""
    try:
        matcher = compile_pattern(pattern)
    except BadPattern:
        return True  # a broken pattern constrains nothing; lint lists it
    return matcher(text)
