"""Timbr auth: the Fernet bearer of get_token, x-api-key, and x-jwt-token (HS256 and RS256).

Settings are read per request, so each row sets its own on the session app (monkeypatch)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.fernet import Fernet
from starlette.testclient import TestClient

from understudy.builtin.handlers.timbr.auth import fernet, make_bearer, make_jwt
from timbr_support import ADMIN, ANALYST, API, MARKETER, PRIVATE_KEY, PUBLIC_KEY, SEGMENTS, SUPPLY, key, rsa_pair
from understudy.app import create_app
from conftest import TEST_CONFIG

PRIVATE, PUBLIC = PRIVATE_KEY, PUBLIC_KEY
OTHER_PRIVATE, _ = rsa_pair()
HS_SECRET = "a-test-hs256-secret-of-at-least-32-bytes"
FERNET_KEY = base64.urlsafe_b64encode(b"0123456789abcdef0123456789abcdef").decode()
HS = {"ENABLE_TOKEN": "true", "JWT_DEFAULT_KEY": HS_SECRET, "JWT_DEFAULT_ALGORITHM": "HS256"}
RS = {"ENABLE_TOKEN": "true", "JWT_DEFAULT_KEY": PUBLIC, "JWT_DEFAULT_ALGORITHM": "RS256"}
HOUR = 3600


# -- credential builders: each takes the server's config and returns request headers ------------
def bearer(user=ADMIN, password=None, salt=None, age=None, **kwargs):
    """A get_token bearer header, made when the test runs (`age`: seconds since it was issued)."""
    def build(config):
        used = {**config, "API_AUTH_SALT": salt} if salt else config
        issued = {"issued_at": time.time() - age} if age is not None else {}
        return {"Authorization": "Bearer " + make_bearer(user["username"], password or user["password"], used,
                                                         **issued, **kwargs)}
    return build


def tampered(config):
    token = make_bearer(ADMIN["username"], ADMIN["password"], config)
    middle = len(token) // 2
    return {"Authorization": "Bearer " + token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]}


def unencoded(config):
    """A Fernet token of `user:password` without the base64 step."""
    return {"Authorization": "Bearer " + fernet(config["API_AUTH_SALT"]).encrypt(b"admin:admin-password").decode()}


def header(name, value):
    return lambda config: {name: value}


def token(user=ADMIN, key=None, algorithm=None, **kwargs):
    return lambda config: {"x-jwt-token": make_jwt(config, username=user["username"], email=user.get("email"),
                                                   key=key, algorithm=algorithm, **kwargs)}


def unsigned(config):
    claims = {"email": ADMIN["email"], "exp": int(time.time()) + HOUR}
    return {"x-jwt-token": jwt.encode(claims, None, algorithm="none")}


def hs256_with_public_key(config):
    """The algorithm-confusion attack: HS256 signed with the server's RSA public key as secret."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")
    signing_input = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(
        {"email": ADMIN["email"], "exp": int(time.time()) + HOUR})
    signature = base64.urlsafe_b64encode(hmac.new(PUBLIC.encode(), signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return {"x-jwt-token": (signing_input + b"." + signature).decode()}


def apply(app, monkeypatch, settings):
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)


# -- get_token ------------------------------------------------------------------------------------
TOKEN_ACCEPTED = [
    # the vendor's flow: the bearer names the user whose token comes back
    pytest.param({}, bearer(ADMIN), ADMIN, id="admin's bearer"),
    pytest.param({}, bearer(ANALYST), ANALYST, id="analyst's bearer"),
    # API_AUTH_SALT may be a Fernet key itself
    pytest.param({"API_AUTH_SALT": FERNET_KEY}, bearer(ADMIN), ADMIN, id="Fernet key as salt"),
    # TTL
    pytest.param({}, bearer(ADMIN, age=HOUR - 60), ADMIN, id="within the TTL"),
    pytest.param({"API_AUTH_TTL_SECONDS": "0"}, bearer(ADMIN, age=30 * 24 * HOUR), ADMIN,
                 id="TTL 0: no expiry"),
]


@pytest.mark.parametrize("settings, credentials, user", TOKEN_ACCEPTED)
def test_get_token_answers_the_users_token(app, client, monkeypatch, settings, credentials, user):
    apply(app, monkeypatch, settings)
    response = client.post(f"{API}/get_token", headers={"Content-Type": "application/json", **credentials(app.config)})
    assert (response.status_code, response.json()) == (200, {"data": [user["token"]], "status": "success"})


TOKEN_REFUSED = [
    # missing or not a bearer
    pytest.param({}, lambda config: {}, "Missing Bearer credentials", id="missing"),
    pytest.param({}, header("Authorization", "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQ="), "Missing Bearer", id="basic"),
    pytest.param({}, header("x-api-key", ADMIN["token"]), "Missing Bearer", id="x-api-key instead"),
    pytest.param({}, header("Authorization", "Bearer gAAAAAnotafernettoken"), "not a Fernet token", id="garbage"),
    # wrong content
    pytest.param({}, bearer(ADMIN, password="wrong"), "Invalid username or password", id="wrong password"),
    pytest.param({}, bearer({"username": "nobody", "password": "x"}), "Invalid username or password",
                 id="unknown user"),
    pytest.param({}, unencoded, "base64 username and password", id="not base64 inside"),
    # tampered, wrong key
    pytest.param({}, tampered, "not a Fernet token", id="tampered"),
    pytest.param({}, bearer(ADMIN, salt="another-salt"), "not a Fernet token", id="wrong key"),
    pytest.param({"API_AUTH_SALT": FERNET_KEY}, bearer(ADMIN, salt="understudy-timbr-demo-salt"),
                 "not a Fernet token", id="old key after the salt changed"),
    # time
    pytest.param({}, bearer(ADMIN, age=HOUR + 60), "expired", id="expired"),
    pytest.param({"API_AUTH_TTL_SECONDS": "60"}, bearer(ADMIN, age=120), "expired",
                 id="expired under a shorter TTL"),
    pytest.param({}, bearer(ADMIN, age=-(HOUR)), "in the future", id="from the future"),
]


@pytest.mark.parametrize("settings, credentials, message", TOKEN_REFUSED)
def test_get_token_refuses(app, client, monkeypatch, settings, credentials, message):
    apply(app, monkeypatch, settings)
    response = client.post(f"{API}/get_token", headers={"Content-Type": "application/json", **credentials(app.config)})
    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert message in response.json()["data"]


# -- x-api-key and x-jwt-token on every other call -----------------------------------------------
CALL_ACCEPTED = [
    # x-api-key, with or without JWT enabled
    pytest.param({}, header("x-api-key", ADMIN["token"]), [SUPPLY, SEGMENTS], id="admin key"),
    pytest.param({}, header("x-api-key", ANALYST["token"]), [SUPPLY], id="analyst key"),
    pytest.param(HS, header("x-api-key", MARKETER["token"]), [SEGMENTS], id="key with JWT enabled"),
    # HS256
    pytest.param(HS, token(ADMIN), [SUPPLY, SEGMENTS], id="HS256 email claim"),
    pytest.param(HS, token(ANALYST), [SUPPLY], id="HS256 names the analyst"),
    pytest.param({**HS, "JWT_USE_EMAIL_OR_USER": "username"}, token({"username": "analyst"}), [SUPPLY],
                 id="HS256 username claim"),
    pytest.param({**HS, "JWT_DEFAULT_AUDIENCE": "timbr-api"}, token(ADMIN), [SUPPLY, SEGMENTS],
                 id="HS256 right audience"),
    pytest.param({**HS, "JWT_ISSUER": "https://keycloak.example.com/realms/timbr"}, token(ADMIN),
                 [SUPPLY, SEGMENTS], id="HS256 right issuer"),
    pytest.param({**HS, "JWT_DEFAULT_ALGORITHM": "RS256,HS256"}, token(ADMIN), [SUPPLY, SEGMENTS],
                 id="HS256 in an algorithm list"),
    # RS256 with a public key
    pytest.param(RS, token(ADMIN, key=PRIVATE, algorithm="RS256"), [SUPPLY, SEGMENTS], id="RS256"),
    pytest.param({**RS, "JWT_DEFAULT_ALGORITHM": "RS246"}, token(ADMIN, key=PRIVATE, algorithm="RS256"),
                 [SUPPLY, SEGMENTS], id="RS256 as the docs spell it (RS246)"),
    # Azure: upn claim, audience per request
    pytest.param({**HS, "JWT_TYPE": "azure", "JWT_DEFAULT_AUDIENCE": "default-client"},
                 lambda config: {"x-jwt-client-id": "client-2", **token(ANALYST, audience="client-2",
                                                                        upn=ANALYST["email"])(config)},
                 [SUPPLY], id="azure upn and x-jwt-client-id"),
]


@pytest.mark.parametrize("settings, credentials, ontologies", CALL_ACCEPTED)
def test_call_accepted(app, client, monkeypatch, settings, credentials, ontologies):
    apply(app, monkeypatch, settings)
    response = client.get(f"{API}/get_ontologies/", headers=credentials(app.config))
    assert (response.status_code, response.json()) == (200, {"data": ontologies, "status": "success"})


CALL_REFUSED = [
    # x-api-key
    pytest.param({}, lambda config: {}, "Missing x-api-key header", id="missing"),
    pytest.param({}, header("x-api-key", "tk_00000000000000000000000000000000"), "Invalid x-api-key", id="wrong key"),
    pytest.param({}, header("x-api-key", ADMIN["password"]), "Invalid x-api-key", id="password as key"),
    pytest.param({}, bearer(ADMIN), "Missing x-api-key", id="get_token bearer"),
    # JWT off
    pytest.param({}, token(ADMIN), "JWT authentication is not enabled", id="JWT while disabled"),
    # HS256
    pytest.param(HS, token(ADMIN, key="another-secret-that-is-32-bytes-long"), "signature verification failed",
                 id="wrong signature"),
    pytest.param(HS, unsigned, "algorithm", id="alg none"),
    pytest.param(HS, token(ADMIN, issued_at=time.time() - 2 * HOUR), "expired", id="expired"),
    pytest.param({**HS, "JWT_DEFAULT_AUDIENCE": "timbr-api"}, token(ADMIN, audience="another-api"), "audience",
                 id="wrong audience"),
    pytest.param({**HS, "JWT_DEFAULT_AUDIENCE": "timbr-api"}, token(ADMIN, audience=""), "aud",
                 id="no audience"),
    pytest.param({**HS, "JWT_ISSUER": "https://keycloak.example.com/realms/timbr"},
                 token(ADMIN, iss="https://evil.example.com"), "issuer", id="wrong issuer"),
    pytest.param(HS, token({"username": "ghost", "email": "ghost@example.com"}), "no Timbr user", id="unknown user"),
    pytest.param(HS, token({"username": "admin"}), "no email claim", id="no email claim"),
    pytest.param(HS, header("x-jwt-token", "not.a.jwt"), "Invalid JWT", id="garbage"),
    # RS256
    pytest.param(RS, token(ADMIN, key=OTHER_PRIVATE, algorithm="RS256"), "signature verification failed",
                 id="RS256 other private key"),
    pytest.param(RS, token(ADMIN, key=HS_SECRET, algorithm="HS256"), "algorithm", id="HS256 token, RS256 server"),
    pytest.param(RS, hs256_with_public_key, "algorithm", id="HS256 signed with the public key"),
    pytest.param(RS, unsigned, "algorithm", id="RS256 server, alg none"),
]


@pytest.mark.parametrize("settings, credentials, message", CALL_REFUSED)
def test_call_refused(app, client, monkeypatch, settings, credentials, message):
    apply(app, monkeypatch, settings)
    response = client.get(f"{API}/get_ontologies/", headers=credentials(app.config))
    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert message in response.json()["data"]


# -- roles and permissions ------------------------------------------------------------------------
FORBIDDEN = [
    # an ontology the user has no permission on
    pytest.param(ANALYST, "post", f"/get_ontology/{SEGMENTS}", None, "no permission on ontology", id="describe"),
    pytest.param(ANALYST, "post", "/query/", {"ontology_name": SEGMENTS, "query": "SELECT 1"},
                 "no permission on ontology", id="query"),
    pytest.param(MARKETER, "get", f"/q/{SUPPLY}/concept/customer", None, "no permission on ontology", id="q concept"),
    pytest.param(MARKETER, "post", f"/clear_cache/{SUPPLY}", None, "no permission on ontology", id="clear cache"),
    pytest.param(ANALYST, "post", "/kb/search", {"question": "segments", "knowledge_bases": ["segmentation_kb"]},
                 "no access to knowledge base", id="kb of another ontology"),
    # the admin role
    pytest.param(ANALYST, "post", "/create_ontology/", {"ontology_name": "x"}, "needs the admin role",
                 id="create ontology"),
    # get_config's whitelist
    pytest.param(ADMIN, "post", "/get_config/API_AUTH_SALT", None, "ALLOWED_CONFIG_ENVS_IN_API", id="config"),
]


@pytest.mark.parametrize("user, method, path, body, message", FORBIDDEN)
def test_forbidden(client, user, method, path, body, message):
    response = client.request(method, API + path, headers=key(user), json=body)
    assert response.status_code == 403
    assert response.json()["status"] == "error"
    assert message in response.json()["data"]


def test_jwt_settings_from_create_app():
    """Settings passed to create_app reach the verifier (here: JWT on, an RS256 public key)."""
    app = create_app({**TEST_CONFIG, "apis": ["timbr"], **RS})
    with TestClient(app) as client:
        response = client.get(f"{API}/get_ontologies/", headers=token(ADMIN, key=PRIVATE, algorithm="RS256")(app.config))
    assert response.status_code == 200


def test_demo_salt_derivation():
    """A passphrase becomes the Fernet key URL-safe-base64(MD5 hex digest), as documented."""
    derived = base64.urlsafe_b64encode(hashlib.md5(b"understudy-timbr-demo-salt").hexdigest().encode())
    bearer_token = make_bearer("admin", "admin-password", {"API_AUTH_SALT": "understudy-timbr-demo-salt",
                                                           "API_AUTH_SEPARATOR": ":"})
    assert Fernet(derived).decrypt(bearer_token) == base64.b64encode(b"admin:admin-password")
