"""Schemathesis over every Timbr operation, twice: authenticated with x-api-key, and with
x-jwt-token (ENABLE_TOKEN on); get_token always with a real Fernet bearer."""

import pytest
import schemathesis

from conftest import TEST_CONFIG
from contract import check, contract_schema
from understudy.builtin.handlers.timbr.auth import make_bearer, make_jwt
from understudy.app import create_app

# The connector posts raw SQL as `application/text`: send it as Schemathesis sends text/plain.
schemathesis.serializer.alias("application/text", "text/plain")

ADMIN_TOKEN = "tk_ab3f0c7e41d24a9b8c1e5d2f6a7b6af3"
APP = create_app({**TEST_CONFIG, "apis": ["timbr"], "ENABLE_TOKEN": "true"})
BEARER = make_bearer("admin", "admin-password", APP.config)
JWT = make_jwt(APP.config, username="admin", email="admin@timbr-sample.company.com", ttl=6 * 3600)


api_key_schema = contract_schema(APP, "timbr", {"bearerAuth": {"bearer": BEARER},
                                                "apiKeyAuth": {"api_key": ADMIN_TOKEN}},
                                 max_examples=25)
jwt_schema = contract_schema(APP, "timbr", {"bearerAuth": {"bearer": BEARER}, "jwtAuth": {"api_key": JWT}},
                             max_examples=10)


@pytest.fixture(autouse=True)
def reset_state():
    APP.reset()


@api_key_schema.parametrize()
def test_timbr_contract_api_key(case):
    check(APP, "timbr", case)


@jwt_schema.parametrize()
def test_timbr_contract_jwt(case):
    check(APP, "timbr", case)
