"""Takaro's own pages: health, metrics, the OpenAPI document and its Swagger UI."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlparse

from starlette.responses import HTMLResponse, RedirectResponse, Response

from understudy.admin import ASSETS_URL
from understudy.apiapp import load_spec
from understudy.context import current, settings, store
from understudy.docs import public_spec, swagger_page
from understudy.responses import json_response

from . import API


@lru_cache(maxsize=4)
def served_spec(base_path: str, root: str) -> dict:
    """The spec as served at `base_path` (a file: it never changes while the server runs)."""
    return public_spec(load_spec(API, {"root": root}), base_path)


async def root():
    return RedirectResponse(current().base_url + "/api.html", 302)


async def api_html():
    return HTMLResponse(swagger_page("Takaro API", current().base_url + "/openapi.json", ASSETS_URL))


async def openapi():
    return json_response(served_spec(urlparse(current().base_url).path, str(settings()["root"])))


async def health():
    return json_response({"healthy": True})


async def metrics():
    lines = ["# HELP takaro_domains Domains served by this understudy", "# TYPE takaro_domains gauge",
             f"takaro_domains {store().count('domains')}"]
    return Response("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
ready = health
