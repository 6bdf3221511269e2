"""The floor for the per-core figure (`run.py --pinned`): Tiikr's `GET /api/v1/test` written
directly in Starlette, served by uvicorn as understudy is (httptools, uvloop). It does what the
request needs and nothing else: the same Basic check (the pair looked up in a dict, the user found
compared in constant time, as `understudy.auth.find` does) and
the same JSON answer, from the same fixtures; no spec, validation, controls, sessions or journal.

    uvicorn benchmarks.bare_starlette:app --http httptools --loop uvloop
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parent.parent / "understudy" / "builtin" / "fixtures" / "tiikr"
USERS = json.loads((FIXTURES / "users.json").read_text())
COMPANIES = {c["id"]: c for c in json.loads((FIXTURES / "companies.json").read_text())}
BY_SECRETS = {(u["username"].encode(), u["password"].encode()): u for u in reversed(USERS)}  # the first one wins


def refused(message: str, status: int = 401) -> JSONResponse:
    return JSONResponse({"success": False, "message": message, "errors": []}, status,
                        headers={"WWW-Authenticate": 'Basic realm="Tiikr"'} if status == 401 else None)


def caller(header: str) -> dict | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    wanted = (username.encode(), password.encode())
    user = BY_SECRETS.get(wanted)  # a dict compares hashes first: a wrong guess is never compared byte by byte
    if user is None:
        return None
    ok = hmac.compare_digest(user["username"].encode(), wanted[0])
    ok &= hmac.compare_digest(user["password"].encode(), wanted[1])
    return user if ok else None


async def test(request: Request) -> JSONResponse:
    user = caller(request.headers.get("authorization", ""))
    if user is None:
        return refused("Invalid username or password")
    if user["role"] not in ("Owner", "Administrator"):
        return refused("Only users with the Owner or Administrator role can access the Tiikr API", 403)
    profile = {k: user[k] for k in ("id", "username", "first_name", "last_name", "role")}
    return JSONResponse({"success": True, "data": {"message": "Authenticated",
                                                   "user": profile | {"company": COMPANIES[user["company_id"]]}}})


app = Starlette(routes=[Route("/api/v1/test", test)])
