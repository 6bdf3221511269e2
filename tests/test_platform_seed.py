"""The seed's own example: its curl, with only the base URL (and the account's email and API
key) filled in, against `understudy serve --api platform` on 127.0.0.1, answers the documented
shape."""

import json
import re
import shlex
import shutil
import socket
import subprocess
import threading
import time

import httpx
import pytest
import uvicorn

from conftest import SEEDS
from understudy.app import create_app

SEED = (SEEDS / "002_ce140fb7b64fb4f8.txt").read_text(encoding="utf-8")


def seed_block(after: str, fence: str) -> str:
    """The first fenced block of kind `fence` after the line `after`."""
    rest = SEED[SEED.index(after):]
    start = rest.index(f"```{fence}\n") + len(fence) + 4
    return rest[start:rest.index("```", start)]


CURL = seed_block("> Example Request:", "shell")
EXAMPLE = json.loads(seed_block("> Example Response:", "http").split("\n\n", 1)[1])


@pytest.fixture(scope="module")
def server():
    """`understudy serve --api platform` in a thread, on a free port of 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app({"single_api": "platform", "host": "127.0.0.1", "port": port})
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


def run_curl(command: str) -> tuple[int, dict]:
    args = shlex.split(command.replace("\\\n", " "))
    if shutil.which("curl"):
        out = subprocess.run([*args, "-s", "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=30)
        body, _, status = out.stdout.rpartition("\n")
        return int(status), json.loads(body)
    user, password = args[args.index("-u") + 1].split(":", 1)  # no curl here: the same request
    response = httpx.get(args[1], auth=(user, password), timeout=30)
    return response.status_code, response.json()


def test_seed_curl_answers_the_documented_user(server):
    command = CURL.replace("{{ api_base_url }}", server).replace("{EMAIL}:{APIKEY}", "alice@acme.example:alice-api-key")
    status, body = run_curl(command)
    assert status == 200
    assert set(body) == set(EXAMPLE)
    assert set(body["data"]) == set(EXAMPLE["data"])
    assert set(body["data"]["attributes"]) == set(EXAMPLE["data"]["attributes"])
    assert body["data"]["type"] == EXAMPLE["data"]["type"]
    assert body["data"]["links"]["self"] == EXAMPLE["data"]["links"]["self"].replace("USER_ID", body["data"]["id"])
    assert body["meta"] == EXAMPLE["meta"]


def test_seed_curl_needs_the_api_key(server):
    command = CURL.replace("{{ api_base_url }}", server).replace("{EMAIL}:{APIKEY}", "alice@acme.example:guess")
    assert run_curl(command)[0] == 401


def test_seed_example_timestamps_are_iso(server):
    command = CURL.replace("{{ api_base_url }}", server).replace("{EMAIL}:{APIKEY}", "alice@acme.example:alice-api-key")
    attributes = run_curl(command)[1]["data"]["attributes"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", attributes["registered"])
