"""A real API to stand in front of, for the upstream tests: a small HTTP server on 127.0.0.1 that
answers from a table (one conforming route, and routes that drift in body, status and header),
remembers what it received, and can be slow or gone. Tiikr's routes are below /api/v1 (its real
base path), the pets spec's (PETS, a user's spec) below /v1."""

from __future__ import annotations

import gzip
import json
import threading
import sys
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

OWNER_USER = {"id": 1, "username": "owner", "first_name": "Olivia", "last_name": "Owens", "role": "Owner",
              "company": {"id": 1, "name": "Acme Field Services"}}
WORKFLOW = {"id": 1, "name": "Onboarding", "created": "2020-08-24T01:45:10.930695Z",
            "updated": "2020-08-24T01:45:10.930695Z"}
JSON = "application/json"

# (method, path) -> (status, headers, body): the real API's answers.
ANSWERS = {
    # conforms (the token is a field the spec does not name: allowed, and a secret to mask)
    ("GET", "/api/v1/test"): (200, {"Content-Type": JSON, "Set-Cookie": "session=upstream-cookie-secret"},
                              {"success": True, "data": {"message": "Authenticated", "user": OWNER_USER},
                               "token": "upstream-token-secret"}),
    # drifts in the body: an id that is not an integer
    ("GET", "/api/v1/workflows"): (200, {"Content-Type": JSON},
                                   {"success": True, "data": [{**WORKFLOW, "id": "one"}]}),
    # drifts in the status: 418 is not documented
    ("GET", "/api/v1/workflows/7"): (418, {"Content-Type": JSON}, {"success": False, "message": "teapot"}),
    # drifts in a header: a Content-Type the spec does not document
    ("GET", "/api/v1/workflows/8"): (200, {"Content-Type": "text/plain"}, "workflow 8"),
    # conforms, gzip-encoded
    ("GET", "/api/v1/workflows/1"): (200, {"Content-Type": JSON, "Content-Encoding": "gzip"},
                                     {"success": True, "data": WORKFLOW}),
    # a user's spec (PETS)
    ("GET", "/v1/pets"): (200, {"Content-Type": JSON}, [{"id": 1, "name": "Rex (upstream)"}]),
    ("POST", "/v1/pets"): (201, {"Content-Type": JSON}, {"id": 41, "name": "Upstream Pet"}),
    ("POST", "/v1/login"): (200, {"Content-Type": JSON}, {"token": "login-token-secret"}),
}
NOT_FOUND = (404, {"Content-Type": JSON}, {"success": False, "message": "no", "errors": []})
SLOW = {"/api/v1/workflows/9": 3.0, "/v1/pets/9": 3.0}  # seconds before answering

PETS = """
openapi: 3.0.3
info: {title: Pets, version: "1"}
servers: [{url: "https://pets.example.com/v1"}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Api-Key}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, minLength: 1}
security: [{key: []}]
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 50}}
      responses:
        "200":
          description: Pets.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
    post:
      operationId: createPet
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
        "400": {description: Invalid.}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: A pet.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
        "404": {description: No such pet.}
  /login:
    post:
      operationId: login
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [username, password]
              properties:
                username: {type: string}
                password: {type: string}
      responses:
        "200":
          description: A session.
          content:
            application/json:
              schema: {type: object, required: [token], properties: {token: {type: string}}}
"""


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class RealApi:
    """The server: its base URL, and every request it received."""

    url: str
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class QuietServer(ThreadingHTTPServer):
    """A client that gave up on a slow answer (the proxy's timeout) is no error to print: printed,
    it would land in the output another test is capturing."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def start_real_api() -> RealApi:
    api: RealApi

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def answer(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            api.received.append(Received(self.command, url.path, url.query, list(self.headers.items()), body))
            time.sleep(SLOW.get(url.path, 0))
            status, headers, payload = ANSWERS.get((self.command, url.path), NOT_FOUND)
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            if headers.get("Content-Encoding") == "gzip":
                data = gzip.compress(data)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("X-Upstream", "yes")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer

    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    api = RealApi(f"http://127.0.0.1:{server.server_address[1]}", server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return api
