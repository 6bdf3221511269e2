"""Installed like a tool: the wheel built from this checkout, installed (not editable) into a
fresh virtualenv, serves a spec from a temporary folder (`understudy serve ./openapi.yaml`) and
the five built-in APIs (`understudy serve`), whose specs, fixtures and handlers ship inside the
package. The virtualenv gets the wheel alone (`--no-deps`); its third-party dependencies are the
test environment's, reached through a path entry, so the test needs no network and no minutes of
installing (the editable install of the checkout is not on that path: the `understudy` that runs
is the wheel's, which the first test checks)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, basic

pytestmark = pytest.mark.once

SPEC = """openapi: 3.0.3
info: {title: Notes, version: '1'}
paths:
  /notes:
    get:
      responses:
        '200':
          description: every note
          content:
            application/json:
              schema: {type: array, items: {type: object, properties: {id: {type: integer}, text: {type: string}}}}
              example: [{id: 1, text: from the example}]
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {text: {type: string}}}}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Note'}}}}
  /notes/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        '200': {description: one note, content: {application/json: {schema: {$ref: '#/components/schemas/Note'}}}}
        '404': {description: no such note}
components:
  schemas:
    Note: {type: object, properties: {id: {type: integer}, text: {type: string}}}
"""
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtualenv with the wheel of this checkout installed in it."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"  # built from a copy: nothing is written into the checkout
    shutil.copytree(ROOT / "understudy", source / "understudy", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", root / "dist", source])
    (wheel,) = (root / "dist").glob("understudy-*.whl")
    run([sys.executable, "-m", "venv", root / "venv"])
    python = root / "venv" / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    with open(os.path.join(site, "understudy_test_dependencies.pth"), "w") as pth:
        pth.write(sysconfig.get_paths()["purelib"] + "\n")
    return root / "venv"


@pytest.fixture
def folder(tmp_path):
    """An empty folder far from the checkout, with a spec in it."""
    (tmp_path / "openapi.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Served:
    """`understudy ARGS` running from `cwd`, stopped (its process group) when done."""

    def __init__(self, venv, cwd, *args):
        self.port = free_port()
        self.log = cwd / "understudy.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen([str(venv / "bin" / "understudy"), *args, "--port", str(self.port)],
                                            cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})

    def get(self, path: str, headers: dict | None = None, wait: float = 180) -> tuple[int, bytes]:
        deadline = time.monotonic() + wait
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                return get(f"http://127.0.0.1:{self.port}{path}", headers)
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise AssertionError("no answer in time:\n" + self.log.read_text()[-3000:])
                time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def serve(venv, folder):
    started = []

    def start(*args) -> Served:
        started.append(Served(venv, folder, *args))
        return started[-1]
    yield start
    for served in started:
        served.stop()


def test_the_understudy_that_runs_is_the_wheel(venv, folder):
    done = run([venv / "bin" / "python", "-c", "import understudy; print(understudy.__file__)"], cwd=folder)
    assert done.stdout.strip().startswith(str(venv))


def test_serve_a_spec_from_a_folder(serve):
    server = serve("serve", "./openapi.yaml", "--workers", "1")
    assert server.get("/notes") == (200, b'[{"id":1,"text":"from the example"}]')
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/notes", data=b'{"text": "new"}',
                                     headers={"Content-Type": "application/json"}, method="POST")
    with OPENER.open(request, timeout=10) as response:
        created = json.loads(response.read())
    assert server.get(f"/notes/{created['id']}") == (200, json.dumps(created, separators=(",", ":")).encode())


def test_serve_the_five_built_in_apis(serve):
    server = serve("serve")  # one worker per core: each worker process imports the installed package
    status, body = server.get("/", {"Accept": "application/json"})
    assert status == 200 and len(json.loads(body)["apis"]) == 5
    assert server.get("/tiikr/api/v1/test", basic("owner", "owner-password"))[0] == 200
