"""Seed 004's curl, run against the server with only the base URL changed (and a real bearer
from `understudy token timbr`), and the other demo credentials the CLI and index hand out."""

from __future__ import annotations

import re
import shlex

import pytest

from conftest import SEEDS
from understudy.builtin.handlers.timbr import API as TIMBR
from timbr_support import ADMIN, API, BASE, PRIVATE_KEY, PUBLIC_KEY
from understudy.cli import main

VENDOR = "https://timbr-sample.company.com"


def cli(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip()


def parse_curl(command: str) -> dict:
    """method, url, headers and body of a curl command line."""
    args = shlex.split(command.replace("\\\n", " "))
    request = {"method": "GET", "headers": {}, "content": None}
    rest = iter(args[1:])
    for arg in rest:
        if arg == "-X":
            request["method"] = next(rest)
        elif arg == "-H":
            name, _, value = next(rest).partition(":")
            request["headers"][name.strip()] = value.strip()
        elif arg in ("-d", "--data"):
            request["content"] = next(rest).encode()
            request["method"] = "POST" if request["method"] == "GET" else request["method"]
        else:
            request["url"] = arg
    return request


def seed_curl() -> str:
    text = (SEEDS / "004_27869e0ac023982f.txt").read_text(encoding="utf-8")
    return re.search(r"curl -X 'POST'.*?Bearer [^']*'", text, re.S).group()


def test_seed_004_get_token_curl(client, capsys):
    bearer = cli(capsys, "token", "timbr", "--user", "admin", "--password", "admin-password")
    assert bearer.startswith("gAAAAA")
    command = seed_curl().replace(VENDOR, "http://testserver/timbr").replace("gAAA...Gy8=", bearer)
    request = parse_curl(command)
    response = client.request(request["method"], request["url"], headers=request["headers"], content=request["content"])
    assert (response.status_code, response.json()) == (200, {"data": [ADMIN["token"]], "status": "success"})


def test_seed_004_curl_is_the_documented_one():
    assert parse_curl(seed_curl()) == {
        "method": "POST", "url": f"{VENDOR}/timbr/api/get_token", "content": None,
        "headers": {"Content-Type": "application/json", "Authorization": "Bearer gAAA...Gy8="}}


def test_the_example_curl_works(client):
    request = parse_curl(TIMBR.example.format(base="http://testserver" + BASE))
    response = client.request(request["method"], request["url"], headers=request["headers"])
    assert response.status_code == 200


def test_every_listed_credential_works(app, client):
    listed = app.credentials()["timbr"]
    statuses = {c["username"]: client.get(f"{API}/get_ontologies/", headers={c["header"]: c["value"]}).status_code
                for c in listed}
    assert statuses == {"admin": 200, "analyst": 200, "marketer": 200}


@pytest.mark.parametrize("settings, argv", [
    pytest.param({"ENABLE_TOKEN": "true"}, [], id="HS256 demo secret"),
    pytest.param({"ENABLE_TOKEN": "true", "JWT_DEFAULT_KEY": PUBLIC_KEY, "JWT_DEFAULT_ALGORITHM": "RS256"},
                 ["--private-key", "{key}"], id="RS256 with a private key file"),
])
def test_cli_jwt_is_accepted(app, client, monkeypatch, capsys, tmp_path, settings, argv):
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    key_file = tmp_path / "private.pem"
    key_file.write_text(PRIVATE_KEY)
    token = cli(capsys, "jwt", "timbr", "--user", "analyst", *[a.format(key=key_file) for a in argv])
    response = client.get(f"{API}/get_ontologies/", headers={"x-jwt-token": token})
    assert (response.status_code, response.json()["data"]) == (200, ["timbr_supply_chain"])
