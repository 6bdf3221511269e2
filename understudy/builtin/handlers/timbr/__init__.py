"""Timbr REST API (the timbr-api service): SQL over ontologies, with Fernet-bearer token exchange,
x-api-key user tokens, and optional JWT auth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jwt

from understudy.api import ApiDefinition, Command
from understudy.config import DEFAULTS, build_config
from understudy.errors import ApiError, StartupError
from understudy.files import read_text
from understudy.settings import FLAG, choice, integer, setting, text
from understudy.stores import load_fixtures

from .auth import impersonating, make_bearer, make_jwt, verify_api_key, verify_bearer, verify_jwt

# The timbr-api environment variables understudy reads (per request, from `settings()`), with demo
# defaults. Set them in the environment or pass them to `create_app({...})`.
SETTINGS = [
    # get_token: the Fernet key, as a Fernet key or any passphrase (then URL-safe base64 of its
    # MD5 hex digest); how old a bearer may be; the username/password separator.
    setting("API_AUTH_SALT", text(nonempty=True), "understudy-timbr-demo-salt",
            "get_token's Fernet key, or a passphrase it is made from"),
    setting("API_AUTH_TTL_SECONDS", integer(0), 3600, "how old a get_token bearer may be, in seconds; 0: no limit"),
    setting("API_AUTH_SEPARATOR", text(nonempty=True), ":", "between user name and password in a get_token bearer"),
    # JWT auth (docs.timbr.ai "custom_jwt" / "azure_jwt"); off unless ENABLE_TOKEN=true.
    setting("ENABLE_TOKEN", FLAG, False, "accept x-jwt-token"),
    setting("JWT_TYPE", choice("custom", "azure"), "custom", "how x-jwt-token is read"),
    setting("JWT_DEFAULT_KEY", text(nonempty=True), "understudy-timbr-demo-jwt-secret-change-me",
            "the HS secret or RS public key (PEM) that verifies x-jwt-token"),
    setting("JWT_DEFAULT_ALGORITHM", text(nonempty=True), "HS256",
            "the JWT algorithms accepted, comma-separated (the vendor's default is RS256)"),
    setting("JWT_DEFAULT_AUDIENCE", text(), "", "the JWT audience; empty: not checked"),
    setting("JWT_USE_EMAIL_OR_USER", text(), "",
            "the claim naming the user: email, username or a claim; empty: email (custom), upn (azure)"),
    setting("JWT_ISSUER", text(), "", "the JWT issuer; empty: not checked"),
    # get_config answers only these names.
    setting("ALLOWED_CONFIG_ENVS_IN_API", text(), "THRIFT_HOST,THRIFT_PORT,ENABLE_TOKEN,JWT_TYPE",
            "the names get_config answers, comma-separated"),
    setting("THRIFT_HOST", text(), "timbr-server", "what get_config answers for THRIFT_HOST"),
    setting("THRIFT_PORT", integer(0, 65535), 11000, "what get_config answers for THRIFT_PORT"),
    # What `SHOW VERSION` answers (Timbr's own version format is not known).
    setting("TIMBR_VERSION", text(nonempty=True), "0.0.0-understudy", "what SHOW VERSION answers"),
]


def render_error(error: ApiError, status: int) -> dict:
    body = {"data": error.detail(), "status": "error"}
    if "error" in error.extra:  # the async-result poll's own field
        body["error"] = error.extra["error"]
    return body


def credentials(config, state) -> list[dict]:
    return [{
        "scheme": "apiKey", "header": "x-api-key", "value": u["token"],
        "username": u["username"], "password": u["password"], "role": u["role"],
        "ontologies": u["ontologies"],
        "note": f"{u['role']}; ontologies: {', '.join(u['ontologies']).replace('*', 'all')}{impersonates(u)}; "
                f"get_token bearer: understudy token timbr --user {u['username']} --password {u['password']}",
        "describe": f"x-api-key: {u['token']} (user {u['username']}, role {u['role']}, ontologies: "
                    f"{', '.join(u['ontologies']).replace('*', 'all')}{impersonates(u)}); get_token bearer: "
                    f"understudy token timbr --user {u['username']} --password {u['password']}",
    } for u in state.all("users")]


def impersonates(user: dict) -> str:
    names = [g["on"].partition(".")[2] for g in user.get("grants", [])
             if g["privilege"] == "AUTH" and g["on"].startswith("user.")]
    return f"; may impersonate {', '.join(names)} with x-api-impersonate-user" if names else ""


def contract_auth(config) -> dict[str, dict]:
    """The admin's key, and a get_token bearer made for the admin with the configured key."""
    admin = next(u for u in fixture_users() if u["role"] == "admin")
    return {"apiKeyAuth": {"api_key": admin["token"]},
            "bearerAuth": {"bearer": make_bearer(admin["username"], admin["password"], config)}}


def fixture_users() -> list[dict]:
    return load_fixtures(Path(DEFAULTS["root"]) / "fixtures" / "timbr").get("users", [])


def token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="a Timbr user name")
    parser.add_argument("--password", required=True, help="that user's password")


def token_command(args: argparse.Namespace) -> int:
    """`understudy token timbr --user U --password P`: the get_token bearer, as the vendor's
    script makes it (API_AUTH_SALT from the environment, or the demo default)."""
    print(make_bearer(args.user, args.password, build_config(None, SETTINGS)))
    user = demo_user(args.user, "get_token will refuse this bearer")
    if user and user["password"] != args.password:
        note(f"that is not {args.user}'s password; get_token will refuse this bearer")
    return 0


def jwt_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="a Timbr user name")
    parser.add_argument("--email", help="the email claim (default: the demo user's email)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default: 3600)")
    parser.add_argument("--audience", help="the aud claim (default: JWT_DEFAULT_AUDIENCE)")
    parser.add_argument("--private-key", type=Path, help="a PEM private key file, to sign with RS256")


def jwt_command(args: argparse.Namespace) -> int:
    """`understudy jwt timbr --user U`: a demo JWT for `x-jwt-token` (needs ENABLE_TOKEN=true on
    the server), signed with JWT_DEFAULT_KEY, or with --private-key for RS256."""
    user = demo_user(args.user, "the server will refuse this token") or {}
    key = read_text(args.private_key) if args.private_key else None
    config = build_config(None, SETTINGS)
    try:
        token = make_jwt(config, username=args.user, email=args.email or user.get("email"),
                         ttl=args.ttl, audience=args.audience, key=key, algorithm="RS256" if key else None)
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise StartupError(f"--private-key {args.private_key}: not a PEM private key ({error})")
    print(token)
    if not config.flag("ENABLE_TOKEN"):
        note("the server accepts x-jwt-token only when started with ENABLE_TOKEN=true")
    return 0


def demo_user(username: str, consequence: str) -> dict | None:
    """The fixture user of that name; a note on stderr when there is none."""
    user = next((u for u in fixture_users() if u["username"] == username), None)
    if user is None:
        note(f"{username} is not a demo user ({', '.join(u['username'] for u in fixture_users())}); {consequence}")
    return user


def note(line: str) -> None:
    print(f"note: {line}", file=sys.stderr)


API = ApiDefinition(
    name="timbr",
    title="Timbr API",
    spec="timbr.yaml",
    render_error=render_error,
    verifiers={scheme: impersonating(verify) for scheme, verify in
               {"bearerAuth": verify_bearer, "apiKeyAuth": verify_api_key, "jwtAuth": verify_jwt}.items()},
    settings=SETTINGS,
    credentials=credentials,
    example="curl -H 'x-api-key: tk_ab3f0c7e41d24a9b8c1e5d2f6a7b6af3' {base}/api/get_ontologies/",
    commands={
        "token": Command("print the Authorization bearer for POST /api/get_token", token_arguments, token_command),
        "jwt": Command("print a demo JWT for the x-jwt-token header (the server needs ENABLE_TOKEN=true)",
                       jwt_arguments, jwt_command),
    },
    contract_auth=contract_auth,
    # Rules a schema cannot state: a schema-valid SQL string or filter is not necessarily a valid
    # query over the ontology (refused with 400, never executed), and kb/search wants
    # medium_threshold <= high_threshold. For these operations 400 is an expected answer.
    contract_config={"operations": [{
        "include-operation-id": ["queries.run_query", "queries.run_query_no_slash", "queries.query_concept",
                                 "queries.query_view", "queries.openapi_query", "assistant.kb_search"],
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404"]}},
    }]},
)
