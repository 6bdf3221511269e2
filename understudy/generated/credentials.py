"""Credentials for a spec's security schemes: a deterministic demo credential per scheme (http
basic and bearer, other http schemes, apiKey in a header, the query or a cookie, oauth2 and
openIdConnect as bearer tokens holding every scope), your own from a `--credentials FILE`, or
any well-formed one (`any_credential`). Each scheme gets a verifier that compares in constant
time and returns a principal or raises ApiError (401, or 403 for a missing scope).

    creds = Credentials(spec, path="creds.yaml", any_credential=False)
    creds.listing()        # [{"scheme", "headers", "query", "cookies", "describe"}] to print and serve
    creds.verifiers        # {scheme name: verify(credential, info=None, scopes=None) -> principal}
    secret_names(spec.document)  # {"headers": {...}, "query": {...}, "cookies": {...}} to mask

The credential a verifier receives is what `understudy.auth.extract` gives: (user, password) for
Basic, the token for Bearer (and oauth2 / openIdConnect), the whole Authorization value for other
http schemes, the value for an API key."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..auth import same
from ..errors import ApiError
from ..spec.errors import SpecError
from ..spec.load import Spec
from ..spec.source import load_document


@dataclass
class Credential:
    """One credential a client can send: a scheme's demo one, or one from the credentials file."""

    scheme: str
    secret: Any  # (user, password) for basic; the token / key / Authorization value otherwise
    scopes: tuple[str, ...] = ()  # oauth2 / openIdConnect scopes it holds
    subject: str = "demo"  # who the principal is
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    describe: str = ""

    def listing(self) -> dict:
        return {"scheme": self.scheme, "headers": dict(self.headers), "query": dict(self.query),
                "cookies": dict(self.cookies), "describe": self.describe}


def kind_of(scheme: dict) -> str:
    """basic | bearer | http | apiKey | oauth2 (openIdConnect too) | unknown"""
    kind = scheme.get("type")
    if kind == "http":
        name = str(scheme.get("scheme", "")).lower()
        return name if name in ("basic", "bearer") else "http"
    if kind in ("oauth2", "openIdConnect"):
        return "oauth2"
    if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
        return "apiKey"
    return "unknown"


def all_scopes(scheme: dict) -> tuple[str, ...]:
    scopes: list[str] = []
    for flow in (scheme.get("flows") or {}).values():
        if isinstance(flow, dict):
            scopes += [s for s in (flow.get("scopes") or {}) if s not in scopes]
    return tuple(scopes)


def _demo_secret(spec_title: str, name: str, length: int = 24) -> str:
    digest = hashlib.sha256(f"understudy:{spec_title}:{name}".encode()).hexdigest()
    return digest[:length]


def _placed(scheme: dict, credential: Credential) -> Credential:
    """Where the client sends the secret (headers / query / cookies) and how to describe it."""
    kind = kind_of(scheme)
    secret = credential.secret
    if kind == "basic":
        user, password = secret
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        credential.headers = {"Authorization": f"Basic {token}"}
        credential.describe = f"HTTP Basic {user}:{password}"
    elif kind in ("bearer", "oauth2"):
        credential.headers = {"Authorization": f"Bearer {secret}"}
        credential.describe = f"Bearer token {secret}"
        if kind == "oauth2":
            what = "OpenID Connect" if scheme.get("type") == "openIdConnect" else "OAuth 2"
            scopes = ", ".join(credential.scopes) or "no scopes"
            credential.describe = f"{what} bearer token {secret} holding {scopes}"
    elif kind == "http":
        credential.headers = {"Authorization": str(secret)}
        credential.describe = f"Authorization: {secret}"
    elif kind == "apiKey":
        where, key = scheme.get("in"), scheme.get("name", "")
        {"header": credential.headers, "query": credential.query, "cookie": credential.cookies}[where][key] = secret
        credential.describe = f"API key {key} in the {where}: {secret}"
    return credential


def placement(scheme: dict, name: str) -> str:
    """Where a scheme's credential travels: schemes that read the same place (two OAuth 2 flows
    in the Authorization header, named together in one requirement) share one demo credential,
    so a client can satisfy them at once."""
    kind = kind_of(scheme)
    if kind in ("basic", "bearer", "oauth2"):
        return "authorization:" + ("basic" if kind == "basic" else "bearer")
    if kind == "http":
        return "authorization:" + str(scheme.get("scheme", "")).lower()
    if kind == "apiKey":
        key = str(scheme.get("name", ""))
        return f"{scheme.get('in')}:{key.lower() if scheme.get('in') == 'header' else key}"
    return name


def demo_credential(spec_title: str, name: str, scheme: dict) -> Credential | None:
    kind = kind_of(scheme)
    secret = _demo_secret(spec_title, placement(scheme, name))
    if kind == "basic":
        return _placed(scheme, Credential(name, ("demo", f"demo-{secret[:16]}")))
    if kind == "bearer":
        return _placed(scheme, Credential(name, f"demo-token-{secret}"))
    if kind == "oauth2":
        return _placed(scheme, Credential(name, f"demo-oauth-{secret}", scopes=all_scopes(scheme)))
    if kind == "http":
        label = str(scheme.get("scheme", "Token")).capitalize()
        return _placed(scheme, Credential(name, f"{label} demo-{secret}"))
    if kind == "apiKey":
        return _placed(scheme, Credential(name, f"demo-key-{secret}"))
    return None


def read_credentials_file(path: str, schemes: dict) -> list[Credential]:
    """A `--credentials FILE` (YAML or JSON): scheme name -> one entry or a list of entries,
    each `{username, password}` (basic), `{token, scopes?}` (bearer, oauth2, openIdConnect),
    `{value}` (apiKey, other http schemes: the whole Authorization value). SpecError when the
    file or an entry is wrong."""
    data, text = load_document(path)
    if not isinstance(data, dict):
        raise SpecError(path, "a credentials file maps security scheme names to credentials")
    found = []
    for name, entries in data.items():
        if name not in schemes:
            raise SpecError(path, f"{name!r} is not a security scheme of the spec "
                            f"({', '.join(schemes) or 'it has none'})", *_line(text, name))
        scheme = schemes[name]
        kind = kind_of(scheme)
        for entry in entries if isinstance(entries, list) else [entries]:
            found.append(_placed(scheme, _entry(path, text, name, kind, entry)))
    return found


def _entry(path: str, text: str, name: str, kind: str, entry: Any) -> Credential:
    if not isinstance(entry, dict):
        raise SpecError(path, f"{name}: each credential is a mapping", *_line(text, name))
    needs = {"basic": ("username", "password"), "bearer": ("token",), "oauth2": ("token",),
             "apiKey": ("value",), "http": ("value",)}.get(kind)
    if needs is None:
        raise SpecError(path, f"{name}: its security scheme type is not supported", *_line(text, name))
    missing = [k for k in needs if not isinstance(entry.get(k), str) or not entry.get(k)]
    if missing:
        raise SpecError(path, f"{name}: a {kind} credential needs {' and '.join(needs)} (text)", *_line(text, name))
    scopes = entry.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise SpecError(path, f"{name}: scopes is a list of names", *_line(text, name))
    secret: Any = (entry["username"], entry["password"]) if kind == "basic" else entry[needs[0]]
    return Credential(name, secret, tuple(scopes), entry.get("username", entry.get("subject", "user")))


def _line(text: str, key: str) -> tuple[int, int]:
    from ..spec.source import locate

    return locate(text, key)


class Verifier:
    """Checks one scheme's credentials: constant-time comparison against every credential of
    that scheme (no early exit), then the scopes the operation asks for."""

    def __init__(self, name: str, scheme: dict, credentials: list[Credential], any_credential: bool):
        self.name, self.scheme = name, scheme
        self.kind = kind_of(scheme)
        self.credentials = credentials
        self.any_credential = any_credential

    def __call__(self, credential: Any, info: Any = None, scopes: Sequence[str] | None = None) -> dict:
        if scopes is None:
            scopes = _scopes_asked(info, self.name)
        found = self._match(credential)
        if found is None:
            raise ApiError("unauthorized", f"Invalid credentials for {self.name}")
        missing = [s for s in scopes if s not in found.scopes] if self.kind == "oauth2" and not self.any_credential \
            else []
        if missing:
            raise ApiError("forbidden", f"The token lacks the scope{'s' if len(missing) > 1 else ''} "
                           + ", ".join(missing))
        return {"scheme": self.name, "subject": found.subject, "scopes": list(found.scopes)}

    def _match(self, credential: Any) -> Credential | None:
        if not self._well_formed(credential):
            return None
        if self.any_credential:
            subject = credential[0] if self.kind == "basic" else "anyone"
            return Credential(self.name, credential, all_scopes(self.scheme), subject)
        found = None
        for candidate in self.credentials:
            if self.kind == "basic":
                ok = same(candidate.secret[0], credential[0]) & same(candidate.secret[1], credential[1])
            else:
                ok = same(str(candidate.secret), str(credential))
            if ok and found is None:
                found = candidate
        return found

    def _well_formed(self, credential: Any) -> bool:
        if self.kind == "basic":
            return (isinstance(credential, tuple) and len(credential) == 2
                    and all(isinstance(p, str) for p in credential) and bool(credential[0]))
        return isinstance(credential, str) and credential.strip() != ""


def _scopes_asked(info: Any, name: str) -> list[str]:
    """The scopes the operation's security requirement names for this scheme (the first
    requirement that names it), from `info.operation` when the engine passes one."""
    operation = getattr(info, "operation", None) or {}
    for requirement in operation.get("security") or []:
        if isinstance(requirement, dict) and name in requirement:
            return [s for s in requirement[name] or [] if isinstance(s, str)]
    return []


class Credentials:
    """Every credential a spec's schemes accept, and a verifier per scheme."""

    def __init__(self, spec: Spec, *, path: str | os.PathLike | None = None, any_credential: bool = False):
        self.schemes = {name: scheme for name, scheme in
                        ((spec.document.get("components") or {}).get("securitySchemes") or {}).items()
                        if isinstance(scheme, dict)}
        title = str((spec.document.get("info") or {}).get("title", spec.name))
        if path is not None:
            self.credentials = read_credentials_file(str(path), self.schemes)
        else:
            demos = (demo_credential(title, name, scheme) for name, scheme in self.schemes.items())
            self.credentials = [c for c in demos if c is not None]
            named = requirement_scopes(spec.document)
            for credential in self.credentials:  # every scope: the flows' and those requirements name
                if kind_of(self.schemes[credential.scheme]) == "oauth2":
                    credential.scopes += tuple(s for s in named.get(credential.scheme, ()) if s not in credential.scopes)
                    _placed(self.schemes[credential.scheme], credential)
        self.any_credential = any_credential
        self.verifiers = {name: Verifier(name, scheme, [c for c in self.credentials if c.scheme == name],
                                         any_credential)
                          for name, scheme in self.schemes.items()}

    def listing(self) -> list[dict]:
        return [c.listing() for c in self.credentials]

    def for_requirement(self, requirement: dict) -> dict | None:
        """What to send for a security requirement naming several schemes together (headers,
        query and cookies merged), or None when one of them has no credential."""
        out: dict[str, Any] = {"schemes": list(requirement), "headers": {}, "query": {}, "cookies": {}}
        for name in requirement:
            credential = next((c for c in self.credentials if c.scheme == name), None)
            if credential is None:
                return None
            for part in ("headers", "query", "cookies"):
                out[part].update(getattr(credential, part))
        return out


def requirement_scopes(document: dict) -> dict[str, list[str]]:
    """The scopes the document's security requirements name, per scheme (OpenID Connect schemes
    list none of their own)."""
    from ..spec.walk import operations

    found: dict[str, list[str]] = {}
    lists = [document.get("security")] + [op.operation.get("security") for op in operations(document)]
    for requirements in lists:
        for requirement in requirements if isinstance(requirements, list) else []:
            for name, scopes in (requirement.items() if isinstance(requirement, dict) else ()):
                for scope in scopes if isinstance(scopes, list) else []:
                    if isinstance(scope, str) and scope not in found.setdefault(name, []):
                        found[name].append(scope)
    return found


def secret_names(document: dict) -> dict[str, set[str]]:
    """The header, query and cookie names the spec's security schemes declare (lower-case
    header names), for the journal to mask."""
    names: dict[str, set[str]] = {"headers": set(), "query": set(), "cookies": set()}
    for scheme in ((document.get("components") or {}).get("securitySchemes") or {}).values():
        if not isinstance(scheme, dict):
            continue
        if scheme.get("type") in ("http", "oauth2", "openIdConnect"):
            names["headers"].add("authorization")
        elif scheme.get("type") == "apiKey" and isinstance(scheme.get("name"), str):
            where = {"header": "headers", "query": "query", "cookie": "cookies"}.get(scheme.get("in"))
            if where:
                names[where].add(scheme["name"].lower() if where == "headers" else scheme["name"])
    return names
