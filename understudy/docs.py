"""The engine's pages: Swagger UI for each API (served from the bundled assets, no internet needed,
already authorized with the API's demo credentials), each spec as JSON with its server rewritten
to where understudy serves it, the index, and the favicon. Pages are Jinja templates in
templates/; no front-end build."""

from __future__ import annotations

import copy
import shlex
import struct
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import swagger_ui_bundle

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
ASSET_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png",
               ".map": "application/json", ".html": "text/html"}
TEMPLATES = Path(__file__).resolve().parent / "templates"
EMPTY_USER = "-"  # what Swagger UI's Basic form, which needs a user name, takes for an empty one


@lru_cache(maxsize=None)
def templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True)


def public_spec(spec: dict, base_path: str) -> dict:
    """The spec as served: its one server is understudy (the base path), and servers a path or an
    operation names for itself (Box's `/authorize` on account.box.com) are dropped, since
    understudy serves every operation below that base path."""
    served = copy.deepcopy(spec)
    original = [s.get("url") for s in spec.get("servers", [])]
    served["servers"] = [{
        "url": base_path or "/",
        "description": "understudy" + (f" (real API: {original[0]})" if original else ""),
    }]
    for item in (served.get("paths") or {}).values():
        if isinstance(item, dict):
            item.pop("servers", None)
            for operation in item.values():
                if isinstance(operation, dict):
                    operation.pop("servers", None)
    return served


def page_auth(spec: dict, demo: dict[str, dict]) -> dict[str, dict]:
    """The demo credentials Swagger UI is authorized with on load, per security scheme: Basic as
    {username, password}, an API key or bearer token as {value}. (A cookie is left out: a page's
    script cannot send one.)"""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    auth: dict[str, dict] = {}
    for name, credential in demo.items():
        scheme = schemes.get(name, {})
        if "username" in credential:  # the form shows an empty user as not authorized: the placeholder
            auth[name] = {"username": credential["username"] or EMPTY_USER, "password": credential.get("password", "")}
        elif scheme.get("in") != "cookie" and (credential.get("api_key") or credential.get("bearer")):
            auth[name] = {"value": credential.get("api_key") or credential.get("bearer")}
    return auth


def swagger_page(title: str, spec_url: str, assets_url: str, auth: dict[str, dict] | None = None) -> str:
    auth = auth or {}
    empty = any(c.get("username") == EMPTY_USER for c in auth.values())
    return templates().get_template("swagger.html").render(
        title=title, spec_url=spec_url, assets=assets_url, auth=auth, placeholder=EMPTY_USER if empty else None)


def asset(name: str) -> tuple[bytes, str] | None:
    path = (ASSETS / name).resolve()
    if ASSETS.resolve() not in path.parents or not path.is_file():
        return None
    return path.read_bytes(), ASSET_TYPES.get(path.suffix, "application/octet-stream")


def snippet(credential: dict[str, Any]) -> dict[str, str]:
    """One demo credential as a user copies it: who it is, curl's arguments that send it, a note."""
    send = []
    if credential.get("token"):
        send.append("-H " + shlex.quote(f"Authorization: Bearer {credential['token']}"))
    elif credential.get("scheme") == "basic":
        send.append("-u " + shlex.quote(f"{credential['username']}:{credential['password']}"))
    header = credential.get("header")
    if isinstance(header, str) and "value" in credential:
        send.append("-H " + shlex.quote(f"{header}: {credential['value']}"))
    for name, value in (header.items() if isinstance(header, dict) else ()):
        send.append("-H " + shlex.quote(f"{name}: {value}"))
    if not send:  # an API's credential of another shape: what it says to send (credentials.listed)
        send += ["-H " + shlex.quote(f"{name}: {value}") for name, value in credential.get("headers", {}).items()]
        send += ["-b " + shlex.quote(f"{name}={value}") for name, value in credential.get("cookies", {}).items()]
    who = credential.get("who") or credential.get("username") or "(empty user)"
    return {"who": who, "send": " ".join(send), "note": credential.get("note", "")}


def index_html(apis: list[dict[str, Any]], origin: str) -> str:
    listing = [{**api, "snippets": [snippet(c) for c in api["credentials"]]} for api in apis]
    return templates().get_template("index.html").render(apis=listing, origin=origin)


@lru_cache(maxsize=None)
def favicon() -> bytes:
    """A 32x32 PNG: a white "u" on an indigo rounded square, drawn here (no binary file)."""
    size, ink, paper = 32, (255, 255, 255, 255), (31, 35, 64, 255)

    def pixel(x: int, y: int) -> tuple[int, ...]:
        corner = min(x, size - 1 - x) < 5 and min(y, size - 1 - y) < 5
        if corner and (min(x, size - 1 - x) - 5) ** 2 + (min(y, size - 1 - y) - 5) ** 2 > 25:
            return (0, 0, 0, 0)
        stem = 8 <= y <= 20 and (9 <= x <= 12 or 19 <= x <= 22)
        bowl = 17 <= y <= 23 and 9 <= x <= 22 and (x - 15.5) ** 2 / 42 + (y - 17) ** 2 / 42 <= 1 \
            and not ((x - 15.5) ** 2 / 12 + (y - 17) ** 2 / 12 <= 1)
        tail = 8 <= y <= 24 and 19 <= x <= 22
        return ink if stem or bowl or tail else paper

    rows = b"".join(b"\x00" + bytes(c for x in range(size) for c in pixel(x, y)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
