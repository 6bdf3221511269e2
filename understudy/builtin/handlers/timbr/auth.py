"""Timbr's three credentials, checked against the fixture users:

- `Authorization: Bearer <Fernet token>` (get_token only): Fernet encryption, under the key made
  from API_AUTH_SALT, of base64("<username>:<password>"), issued at most API_AUTH_TTL_SECONDS ago;
- `x-api-key: tk_...`: a user's Timbr token;
- `x-jwt-token: <JWT>` when ENABLE_TOKEN is true: verified with JWT_DEFAULT_KEY, the algorithms of
  JWT_DEFAULT_ALGORITHM, JWT_DEFAULT_AUDIENCE and JWT_ISSUER; the JWT_USE_EMAIL_OR_USER claim names
  the user.

With any of them, `x-api-impersonate-user` names the user the request runs as (`impersonating`).

The same functions make the credentials for the `understudy token|jwt timbr` commands and tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from typing import Any, Mapping

import jwt
from cryptography.fernet import Fernet, InvalidToken

from understudy.api import RequestInfo, Verifier
from understudy.auth import find, matching
from understudy.context import settings, store
from understudy.errors import forbidden, unauthorized

from .common import holds

CLOCK_SKEW_SECONDS = 60
# JWT_TYPE -> the claim that names the user when JWT_USE_EMAIL_OR_USER is empty.
DEFAULT_USER_CLAIM = {"custom": "email", "azure": "upn"}
# JWT_USE_EMAIL_OR_USER -> (claims tried in order, user field they are matched against).
USER_CLAIMS = {"email": (("email",), "email"), "username": (("username", "preferred_username"), "username")}
# The docs write the default algorithm as "RS246"; read it as RS256.
ALGORITHM_ALIASES = {"RS246": "RS256"}


# -- the get_token bearer ----------------------------------------------------------------------
def fernet(salt: str) -> Fernet:
    """API_AUTH_SALT as a Fernet key: used as is when it is one (32 bytes, URL-safe base64),
    otherwise the URL-safe base64 of its 32-character MD5 hex digest (the derivation Timbr's own
    langchain code uses for its other Fernet key; the timbr-api script is not public)."""
    try:
        return Fernet(salt.encode("utf-8"))
    except (ValueError, binascii.Error):
        digest = hashlib.md5(salt.encode("utf-8")).hexdigest().encode("ascii")
        return Fernet(base64.urlsafe_b64encode(digest))


def make_bearer(username: str, password: str, config: Mapping[str, Any], issued_at: float | None = None) -> str:
    """What the vendor's script prints: the value after `Authorization: Bearer `."""
    plaintext = base64.b64encode(f"{username}{config['API_AUTH_SEPARATOR']}{password}".encode("utf-8"))
    key = fernet(config["API_AUTH_SALT"])
    token = key.encrypt(plaintext) if issued_at is None else key.encrypt_at_time(plaintext, int(issued_at))
    return token.decode("ascii")


def verify_bearer(token: str, request: RequestInfo) -> dict:
    config = settings()
    key = fernet(config["API_AUTH_SALT"])
    try:
        issued = key.extract_timestamp(token)  # checks the signature: tampered or wrong key fail here
        plaintext = key.decrypt(token)
    except (InvalidToken, ValueError, TypeError):
        raise unauthorized("Invalid authorization bearer: not a Fernet token made with the API_AUTH_SALT key")
    ttl = int(config["API_AUTH_TTL_SECONDS"] or 0)
    now = time.time()
    if issued > now + CLOCK_SKEW_SECONDS:
        raise unauthorized("Invalid authorization bearer: issued in the future")
    if ttl and now > issued + ttl:
        raise unauthorized(f"Authorization bearer expired: it is older than {ttl} seconds")
    try:
        decoded = base64.b64decode(plaintext, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise unauthorized("Invalid authorization bearer: it does not hold a base64 username and password")
    username, separator, password = decoded.partition(config["API_AUTH_SEPARATOR"])
    if not separator:
        raise unauthorized("Invalid authorization bearer: it does not hold a base64 username and password")
    user = find("users", username=username, password=password)
    if user is None:
        raise unauthorized("Invalid username or password in the authorization bearer")
    return user


# -- x-api-key ---------------------------------------------------------------------------------
def verify_api_key(key: str, request: RequestInfo) -> dict:
    user = find("users", token=key)
    if user is None:
        raise unauthorized("Invalid x-api-key: it is not the token of any Timbr user")
    return user


# -- x-jwt-token -------------------------------------------------------------------------------
def is_pem(key: str) -> bool:
    return key.lstrip().startswith("-----BEGIN")


def jwt_algorithms(config: Mapping[str, Any]) -> list[str]:
    """JWT_DEFAULT_ALGORITHM's algorithms that fit JWT_DEFAULT_KEY: HMAC for a shared secret,
    public-key algorithms for a PEM key (so a public key is never used as an HMAC secret), and
    never `none`."""
    names = [ALGORITHM_ALIASES.get(a.strip().upper(), a.strip().upper())
             for a in str(config["JWT_DEFAULT_ALGORITHM"]).split(",") if a.strip()]
    pem = is_pem(str(config["JWT_DEFAULT_KEY"]))
    return [a for a in names if a != "NONE" and a.startswith("HS") != pem]


def user_claim(config: Mapping[str, Any]) -> str:
    return (config.get("JWT_USE_EMAIL_OR_USER") or DEFAULT_USER_CLAIM.get(
        str(config.get("JWT_TYPE", "custom")).lower(), "email")).strip()


def verify_jwt(token: str, request: RequestInfo) -> dict:
    config = settings()
    if not config.flag("ENABLE_TOKEN"):
        raise unauthorized("JWT authentication is not enabled (ENABLE_TOKEN is not true): send x-api-key")
    algorithms = jwt_algorithms(config)
    if not algorithms:
        raise unauthorized("No algorithm in JWT_DEFAULT_ALGORITHM fits JWT_DEFAULT_KEY")
    azure = str(config.get("JWT_TYPE", "custom")).lower() == "azure"
    audience = (azure and request.headers.get("x-jwt-client-id")) or config["JWT_DEFAULT_AUDIENCE"] or None
    issuer = config["JWT_ISSUER"] or None
    try:
        claims = jwt.decode(token, config["JWT_DEFAULT_KEY"], algorithms=algorithms, audience=audience,
                            issuer=issuer, options={"verify_aud": audience is not None})
    except jwt.ExpiredSignatureError:
        raise unauthorized("Invalid JWT: the token has expired")
    except jwt.InvalidAudienceError:
        raise unauthorized(f"Invalid JWT: the audience is not {audience}")
    except jwt.InvalidIssuerError:
        raise unauthorized(f"Invalid JWT: the issuer is not {issuer}")
    except jwt.InvalidAlgorithmError:
        raise unauthorized(f"Invalid JWT: the algorithm is not one of {', '.join(algorithms)}")
    except jwt.InvalidSignatureError:
        raise unauthorized("Invalid JWT: signature verification failed")
    except jwt.PyJWTError as error:
        raise unauthorized(f"Invalid JWT: {error}")
    return jwt_user(claims, user_claim(config))


def jwt_user(claims: dict, claim: str) -> dict:
    names, field = USER_CLAIMS.get(claim.lower(), ((claim,), None))
    value = next((claims[n] for n in names if isinstance(claims.get(n), str) and claims[n]), None)
    if value is None:
        raise unauthorized(f"Invalid JWT: no {' or '.join(names)} claim names the user")
    users = store().all("users")
    fields_ = [field] if field else ["email", "username"]
    user = next((u for f in fields_ if (u := matching(users, **{f: value}))), None)
    if user is None:
        raise unauthorized(f"Invalid JWT: no Timbr user matches {names[0]} {value}")
    return user


def make_jwt(config: Mapping[str, Any], *, username: str, email: str | None = None,
             key: str | None = None, algorithm: str | None = None, ttl: int = 3600,
             issued_at: float | None = None, audience: str | None = None, **extra: Any) -> str:
    """A JWT the server accepts with `config` (signed with JWT_DEFAULT_KEY, or `key`: a private
    PEM for RS256)."""
    now = int(time.time() if issued_at is None else issued_at)
    claims = {"sub": username, "preferred_username": username, "username": username,
              "iat": now, "exp": now + ttl, **({"email": email} if email else {})}
    audience = audience if audience is not None else (config.get("JWT_DEFAULT_AUDIENCE") or None)
    if audience:
        claims["aud"] = audience
    if config.get("JWT_ISSUER"):
        claims["iss"] = config["JWT_ISSUER"]
    claims.update(extra)
    algorithm = algorithm or (jwt_algorithms(config) or ["HS256"])[0]
    return jwt.encode(claims, key if key is not None else config["JWT_DEFAULT_KEY"], algorithm=algorithm)


# -- x-api-impersonate-user --------------------------------------------------------------------
IMPERSONATE = "x-api-impersonate-user"


def impersonating(verify: Verifier) -> Verifier:
    """`verify`, then the user x-api-impersonate-user names in place of the caller, when the
    caller holds GRANT AUTH ON user.<that user>: everything after authentication sees that user."""
    def verifier(credential: Any, request: RequestInfo) -> dict:
        return effective_user(verify(credential, request), request.headers.get(IMPERSONATE))
    return verifier


def effective_user(caller: dict, target: str | None) -> dict:
    if not target or target == caller["username"]:
        return caller
    refused = f"User {caller['username']} may not impersonate {target}"
    user = store().first("users", username=target)
    if user is None:
        raise forbidden(f"{refused}: there is no such user")
    if not holds(caller, "AUTH", f"user.{target}"):
        raise forbidden(f"{refused}: it needs GRANT AUTH ON user.{target} TO USER {caller['username']}")
    return user
