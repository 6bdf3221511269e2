"""Timbr REST API (the timbr-api service): SQL over ontologies, with Fernet-bearer token exchange,
x-api-key user tokens, and optional JWT auth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from understudy.api import ApiDefinition
from understudy.config import DEFAULTS, build_config
from understudy.errors import ApiError
from understudy.stores import load_fixtures

from .auth import impersonating, make_bearer, make_jwt, verify_api_key, verify_bearer, verify_jwt

# The timbr-api environment variables understudy reads (per request, from `settings()`), with demo
# defaults. Set them in the environment or pass them to `create_app({...})`.
SETTINGS = {
    # get_token: the Fernet key, as a Fernet key or any passphrase (then URL-safe base64 of its
    # MD5 hex digest); how old a bearer may be (0: no limit); the username/password separator.
    "API_AUTH_SALT": "understudy-timbr-demo-salt",
    "API_AUTH_TTL_SECONDS": "3600",
    "API_AUTH_SEPARATOR": ":",
    # JWT auth (docs.timbr.ai "custom_jwt" / "azure_jwt"); off unless ENABLE_TOKEN=true.
    "ENABLE_TOKEN": "false",
    "JWT_TYPE": "custom",
    "JWT_DEFAULT_KEY": "understudy-timbr-demo-jwt-secret-change-me",  # HS secret or RS public PEM
    "JWT_DEFAULT_ALGORITHM": "HS256",  # comma-separated; the vendor's default is RS256
    "JWT_DEFAULT_AUDIENCE": "",  # empty: the audience is not checked
    "JWT_USE_EMAIL_OR_USER": "",  # email | username | a claim; empty: email (custom), upn (azure)
    "JWT_ISSUER": "",  # empty: the issuer is not checked
    # get_config answers only these names.
    "ALLOWED_CONFIG_ENVS_IN_API": "THRIFT_HOST,THRIFT_PORT,ENABLE_TOKEN,JWT_TYPE",
    "THRIFT_HOST": "timbr-server",
    "THRIFT_PORT": "11000",
    # What `SHOW VERSION` answers (Timbr's own version format is not known).
    "TIMBR_VERSION": "0.0.0-understudy",
}


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


def token_command(argv: list[str]) -> int:
    """`understudy token timbr --user U --password P`: the get_token bearer, as the vendor's
    script makes it (API_AUTH_SALT from the environment, or the demo default)."""
    parser = argparse.ArgumentParser(prog="understudy token timbr",
                                     description="Print an Authorization bearer for POST /timbr/api/get_token.")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    print(make_bearer(args.user, args.password, build_config(None, SETTINGS)))
    return 0


def jwt_command(argv: list[str]) -> int:
    """`understudy jwt timbr --user U`: a demo JWT for `x-jwt-token` (needs ENABLE_TOKEN=true on
    the server), signed with JWT_DEFAULT_KEY, or with --private-key for RS256."""
    parser = argparse.ArgumentParser(prog="understudy jwt timbr",
                                     description="Print a demo JWT for the x-jwt-token header.")
    parser.add_argument("--user", required=True, help="a Timbr username")
    parser.add_argument("--email", help="the email claim (default: the fixture user's email)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    parser.add_argument("--audience", help="the aud claim (default: JWT_DEFAULT_AUDIENCE)")
    parser.add_argument("--private-key", type=Path, help="a PEM private key file, to sign with RS256")
    args = parser.parse_args(argv)
    user = next((u for u in fixture_users() if u["username"] == args.user), {})
    key = args.private_key.read_text() if args.private_key else None
    config = build_config(None, SETTINGS)
    print(make_jwt(config, username=args.user, email=args.email or user.get("email"),
                   ttl=args.ttl, audience=args.audience, key=key, algorithm="RS256" if key else None))
    if not user:
        print(f"note: {args.user} is not a fixture user; the server will refuse this token", file=sys.stderr)
    if not config.flag("ENABLE_TOKEN"):
        print("note: the server accepts x-jwt-token only when started with ENABLE_TOKEN=true", file=sys.stderr)
    return 0


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
    commands={"token": token_command, "jwt": jwt_command},
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
