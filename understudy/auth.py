"""Authentication: the engine reads each operation's `security` from the spec, extracts the
credential each scheme names, and asks the API's verifier for that scheme who is calling.

Verifiers use `matching` / `same` to compare secrets in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any, Iterable

from connexion.middleware.abstract import RoutedAPI, RoutedMiddleware
from starlette.datastructures import Headers, QueryParams
from starlette.requests import cookie_parser
from starlette.types import Receive, Scope, Send

from .api import ApiDefinition, RequestInfo
from .context import current, store
from .errors import ApiError
from .stores.base import CachedDocs, clone

MISSING = object()
NO_QUERY = QueryParams("")  # immutable: shared by every request without a query string


def same(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time equality of two secrets."""
    a = a.encode("utf-8") if isinstance(a, str) else a
    b = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(a, b)


def _fields(doc: dict, fields: Iterable[str]) -> tuple[bytes, ...]:
    """A document's `fields` as the bytes its secrets are compared as."""
    return tuple(value if isinstance(value, bytes) else str(value).encode("utf-8")
                 for value in (doc.get(field, "") for field in fields))


def _all_same(values: tuple[bytes, ...], wanted: tuple[bytes, ...]) -> bool:
    """Whether each value equals its wanted one, every pair compared in constant time (no early exit)."""
    ok = True
    for value, want in zip(values, wanted):
        ok &= hmac.compare_digest(value, want)
    return ok


def matching(candidates: Iterable[dict], **secrets: str) -> dict | None:
    """The candidate whose fields equal every given secret, comparing every candidate in full
    (no early exit), so the time taken does not tell which part was wrong."""
    wanted = _fields(secrets, secrets)
    found = None
    for candidate in candidates:
        if _all_same(_fields(candidate, secrets), wanted) and found is None:
            found = candidate
    return found


def find(coll: str, **secrets: str) -> dict | None:
    """The document of the current API's `coll` whose fields equal every secret, without copying
    the documents that do not match. The time taken does not tell which part was wrong:
    - the secrets are looked up in `secret_table`, a dict, which compares the hashes of the keys
      (salted per process) before their bytes, so a wrong guess is never compared byte by byte,
      and how long the lookup takes depends on the hash of the guess, not on how close it is;
    - the document found is then compared in constant time;
    - a store that cannot say when its documents change has every document compared in full."""
    wanted = _fields(secrets, secrets)
    view = store()
    table = secret_table(view, coll, tuple(secrets))
    if table is None:
        found = view.filter(coll, lambda doc: _all_same(_fields(doc, secrets), wanted))
        return found[0] if found else None
    row = table.get(wanted)
    return clone(row[0]) if row is not None and _all_same(row[1], wanted) else None


_TABLES: dict[tuple, tuple[Any, dict]] = {}


def secret_table(view: Any, coll: str, fields: tuple[str, ...]) -> dict[tuple[bytes, ...], tuple] | None:
    """The documents of a collection by their `fields` (as bytes; the first document where several
    share them), each as (document, those bytes). Made once for as long as the collection stands:
    the store's cached read of it (SQLite, PostgreSQL: replaced, never changed, when the
    collection changes), or the memory store's version (moved by every write). None for a store
    that has neither."""
    if isinstance(view, CachedDocs):
        docs: Any = view._docs(coll)
        key, stamp = (id(docs), coll, fields), docs
        kept = _TABLES.get(key)
        if kept is not None and kept[0] is stamp:
            return kept[1]
        docs = docs.values()
    else:  # the memory store: its documents change in place, and every write moves its version
        version = getattr(view, "version", None)
        if version is None:
            return None
        key = stamp = (version, view.api, coll, fields)
        kept = _TABLES.get(key)
        if kept is not None:
            return kept[1]
        docs = view.all(coll)  # copies, kept in the table only
    table: dict[tuple[bytes, ...], tuple] = {}
    for doc in docs:
        values = _fields(doc, fields)
        table.setdefault(values, (doc, values))
    if len(_TABLES) >= 64:
        _TABLES.clear()
    _TABLES[key] = (stamp, table)
    return table


def parse_basic(header: str) -> tuple[str, str] | None:
    """`Basic base64(user:password)` -> (user, password); None when it is not Basic at all."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError("unauthorized", "Malformed Basic credentials")
    user, sep, password = decoded.partition(":")
    if not sep:
        raise ApiError("unauthorized", "Malformed Basic credentials")
    return user, password


def extract(scheme: dict, headers: Headers, query: QueryParams, cookies: dict) -> Any:
    """The credential a security scheme names, or MISSING."""
    kind = scheme.get("type")
    if kind in ("oauth2", "openIdConnect"):  # tokens come as bearer tokens
        kind, scheme = "http", {"type": "http", "scheme": "bearer"}
    if kind == "http":
        header = headers.get("authorization")
        if not header:
            return MISSING
        name = scheme.get("scheme", "").lower()
        if name == "basic":
            parsed = parse_basic(header)
            return MISSING if parsed is None else parsed
        if name == "bearer":
            prefix, _, token = header.partition(" ")
            return token.strip() if prefix.lower() == "bearer" and token.strip() else MISSING
        return header
    if kind == "apiKey":
        where, name = scheme.get("in"), scheme.get("name", "")
        source = {"header": headers, "query": query, "cookie": cookies}.get(where, {})
        value = source.get(name)
        return value if value else MISSING
    return MISSING


def _rank(error: ApiError) -> int:
    """A presented credential's failure: a wrong role (2) over a wrong credential (1)."""
    return 2 if error.kind == "forbidden" else 1


class AuthOperation:
    def __init__(self, next_app, *, operation, api_definition: ApiDefinition):
        self.next_app = next_app
        self.operation = operation
        self.requirements: list[dict] = operation.security or []
        self.schemes: dict = operation.security_schemes or {}
        self.api = api_definition
        self.spec_operation = operation._operation if hasattr(operation, "_operation") else {}
        for requirement in self.requirements:
            for name in requirement:
                if name not in self.api.verifiers:
                    raise RuntimeError(f"{self.api.name}: no verifier for security scheme {name!r}")

    def authenticate(self, scope: Scope, headers: Headers | None = None) -> Any:
        headers = headers if headers is not None else Headers(scope=scope)
        query_string = scope.get("query_string", b"")
        query = QueryParams(query_string) if query_string else NO_QUERY
        cookie = headers.get("cookie")
        cookies = cookie_parser(cookie) if cookie else {}
        info = RequestInfo(scope["method"], scope["path"], headers, query, cookies, self.spec_operation)
        errors: list[tuple[int, ApiError]] = []  # (rank, error)
        for requirement in self.requirements:
            if not requirement:  # {} makes the operation's credentials optional
                return None
            principal, ok = None, True
            for name in requirement:
                try:
                    credential = extract(self.schemes[name], headers, query, cookies)
                    if credential is MISSING:
                        errors.append((0, ApiError("unauthorized", _missing_message(self.schemes[name]))))
                        ok = False
                        break
                    principal = self.api.verifiers[name](credential, info)
                except ApiError as error:
                    errors.append((_rank(error), error))
                    ok = False
                    break
            if ok:
                return principal
        # The most specific failure wins: a wrong role over wrong credentials over missing ones
        # (so with alternative schemes, the one the client sent explains the refusal).
        if not errors:
            raise ApiError("unauthorized", "Authentication required")
        raise max(errors, key=lambda ranked: ranked[0])[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.requirements:
            ctx = current()
            ctx.principal = self.authenticate(scope, ctx.headers)
        await self.next_app(scope, receive, send)


def _missing_message(scheme: dict) -> str:
    if scheme.get("type") == "apiKey":
        return f"Missing {scheme.get('name')} {scheme.get('in')}"
    return f"Missing {scheme.get('scheme', 'http').capitalize()} credentials in the Authorization header"


class AuthAPI(RoutedAPI[AuthOperation]):
    def __init__(self, *args, api_definition: ApiDefinition, **kwargs):
        self.api_definition = api_definition
        super().__init__(*args, **kwargs)
        self.add_paths()

    def make_operation(self, operation) -> AuthOperation:
        return AuthOperation(self.next_app, operation=operation, api_definition=self.api_definition)


class AuthMiddleware(RoutedMiddleware[AuthAPI]):
    api_cls = AuthAPI


