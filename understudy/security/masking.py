"""One rule for secrets in anything that records requests (the journal, a HAR recorder): a
header, JSON key, query or form field whose name names a secret has its value replaced by MASK,
whatever the value is (string, number, list, object); Timbr's `PASSWORD '...'` literal is masked
in SQL text. Nothing here keeps the clear value.

A name names a secret when, lower-cased with `-`, `_`, `.`, spaces and camelCase boundaries
taken as word breaks, it contains password, passwd, secret, token, credential, authorization,
api key or private key (with or without a break between the words), or has the word `pass` (or a
word ending in it: `userpass`). Cookies are masked as headers too: they carry sessions."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Collection, Iterable
from urllib.parse import quote, unquote_plus

from .limits import too_deep

MASK = "****"
STEMS = ("password", "passwd", "secret", "token", "credential", "authorization", "apikey", "privatekey")
SECRET_HEADERS = {"cookie", "set-cookie"}  # no secret word in the name, a session in the value
WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# SQL: PASSWORD 'literal' (Timbr's CREATE USER / ALTER USER), quotes doubled inside.
SQL_PASSWORD = re.compile(r"(\bPASSWORD\s*(?:=\s*)?)('(?:[^']++|'')*+'?|\"(?:[^\"]++|\"\")*+\"?)", re.I)
# A JSON-ish `"name": value` in text that is not valid JSON (cut, broken or too deep to parse).
JSON_KEY = re.compile(r'"((?:[^"\\]++|\\.)*+)"\s*:\s*')
JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?')
JSON_SCALAR = re.compile(r"[^,}\]\n]*")
WHITESPACE = re.compile(r"\s")
PASSWORD_WORD = re.compile("password", re.I)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@lru_cache(maxsize=4096)
def names_secret(name: str) -> bool:
    """Whether a header, key or field name names a secret (see the module's rule)."""
    words = [w.lower() for w in WORD.findall(name)]
    squashed = "".join(words)
    return any(stem in squashed for stem in STEMS) or any(w == "pass" or w.endswith("pass") for w in words)


# -- headers and query strings -------------------------------------------------------------------
def mask_header(name: str, value: str) -> str:
    """A header value as it may be kept: `Basic ****` for an Authorization scheme, MASK for any
    other secret header."""
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        scheme, _, rest = value.strip().partition(" ")
        return f"{scheme} {MASK}" if rest and scheme.isalpha() else MASK
    return MASK if lowered in SECRET_HEADERS or names_secret(name) else value


def mask_headers(headers: Iterable[tuple[str, str]], also: Collection[str] = ()) -> dict[str, str]:
    """Headers with secrets masked: by the rule, and those named in `also` (lower case: the names
    a spec's security schemes declare, whatever they are called)."""
    masked = {}
    for name, value in headers:
        plain = _PLAIN_HEADERS.get(name)
        if plain is None:
            plain = mask_header(name, "x y") == "x y"  # a header this rule leaves as sent
            if len(_PLAIN_HEADERS) < 4096:
                _PLAIN_HEADERS[name] = plain
        if also and name.lower() in also:
            masked[name] = MASK
        else:
            masked[name] = value if plain else mask_header(name, value)
    return masked


_PLAIN_HEADERS: dict[str, bool] = {}  # header name -> whether the rule keeps its values as sent


def mask_pairs(text: str, also: Collection[str] = ()) -> str:
    """A query string or form body (`a=1&b=2`) with secret fields' values masked (by the rule, and
    those named in `also`); the rest kept exactly as sent."""
    if not text:
        return text
    parts = []
    for part in re.split(r"([&;])", text):
        name, sep, _ = part.partition("=")
        secret = sep and (names_secret(unquote_plus(name)) or unquote_plus(name) in also)
        parts.append(f"{name}={quote(MASK)}" if secret else part)
    return "".join(parts)


# -- JSON values ---------------------------------------------------------------------------------
def mask_value(value: Any) -> Any:
    """A JSON value with every secret key's value masked, at any depth (values that hold
    nothing, null, are kept), and strings that hold JSON or SQL masked as text (a JSON document
    sent as a string, a query). Call it on parsed JSON of bounded depth (`limits.too_deep`)."""
    if isinstance(value, dict):
        return {k: (MASK if value[k] is not None else None) if names_secret(str(k)) else mask_value(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, str):
        return mask_string(value)
    return value


def mask_string(text: str) -> str:
    """A string value: JSON-ish secret keys and SQL PASSWORD literals in it masked."""
    if '"' in text and text.lstrip()[:1] in ("{", "["):
        text = mask_json_text(text)
    return mask_sql(text) if PASSWORD_WORD.search(text) else text


def mask_json_text(text: str) -> str:
    """Text that looks like JSON but does not parse (cut, broken, too deep): every `"secret":
    value` has its value replaced, the value read lexically (a string, a bracketed group up to
    its matching bracket or the end, or anything up to the next `,` `}` `]`)."""
    out, at = [], 0
    for match in JSON_KEY.finditer(text):
        if match.start() < at or not names_secret(match.group(1)):
            continue
        end = _value_end(text, match.end())
        out += [text[at:match.end()], json.dumps(MASK)]
        at = end
    out.append(text[at:])
    return "".join(out)


def _value_end(text: str, start: int) -> int:
    """Where the JSON-ish value starting at `start` ends (not recursive: brackets are counted)."""
    if start >= len(text):
        return start
    if text[start] == '"':
        return JSON_STRING.match(text, start).end()
    if text[start] in "[{":
        depth, i = 0, start
        while i < len(text):
            char = text[i]
            if char == '"':
                i = JSON_STRING.match(text, i).end()
                continue
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return len(text)
    return JSON_SCALAR.match(text, start).end()


def mask_sql(text: str) -> str:
    """SQL with every `PASSWORD '...'` literal masked."""
    return SQL_PASSWORD.sub(lambda m: f"{m.group(1)}'{MASK}'", text)


def mask_text(text: str) -> str:
    """A text body of unknown shape: JSON-ish secret keys, form-ish secret fields and SQL
    PASSWORD literals masked."""
    text = mask_json_text(text) if '"' in text else text
    if "=" in text and WHITESPACE.search(text.strip()) is None:  # looks like a=1&b=2
        text = mask_pairs(text.strip())
    return mask_sql(text)


# -- bodies --------------------------------------------------------------------------------------
def mask_body(body: bytes, content_type: str | None, max_depth: int, parse: bool = True) -> Any:
    """A request body as it may be kept: parsed JSON with secrets masked when it is JSON of at
    most `max_depth` levels (and `parse`); otherwise text with secrets masked (form fields,
    multipart fields, JSON-ish keys, SQL PASSWORD literals). None for no body."""
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime == "multipart/form-data":
        return mask_multipart(text, content_type or "")
    if mime == "application/x-www-form-urlencoded":
        return mask_pairs(text)
    if parse and text.lstrip()[:1] in ("{", "[") and not too_deep(body, max_depth):
        try:
            return mask_value(json.loads(text))
        except ValueError:
            pass
    return mask_text(text)


def mask_multipart(text: str, content_type: str) -> str:
    """A multipart body with the content of every part whose field name (or file name) names a
    secret masked; the parts' other text masked as text."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        return mask_text(text)
    boundary = "--" + found.group(1)
    parts = text.split(boundary)
    for i, part in enumerate(parts):
        head, sep, content = part.partition("\r\n\r\n")
        if not sep:
            head, sep, content = part.partition("\n\n")
        names = re.findall(r'\b(?:file)?name="([^"]*)"', head, re.I)
        if sep and any(names_secret(n) for n in names):
            tail = "\r\n" if content.endswith("\r\n") else ""
            parts[i] = head + sep + MASK + tail
        elif sep:
            parts[i] = head + sep + mask_text(content)
    return boundary.join(parts)
