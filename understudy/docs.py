"""Swagger UI for each API, served from the bundled assets (no internet needed), and each spec
as JSON with its server rewritten to where understudy serves it."""

from __future__ import annotations

import copy
import html
import json
from pathlib import Path
from typing import Any

import swagger_ui_bundle

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
ASSET_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png",
               ".map": "application/json", ".html": "text/html"}


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


def swagger_page(title: str, spec_url: str, assets_url: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>{html.escape(title)} · understudy</title>
<link rel="stylesheet" href="{assets_url}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{assets_url}/swagger-ui-bundle.js"></script>
<script>window.onload = () => {{ window.ui = SwaggerUIBundle({{
  url: {json.dumps(spec_url)}, dom_id: "#swagger-ui", deepLinking: true,
  validatorUrl: null, withCredentials: true,
  presets: [SwaggerUIBundle.presets.apis] }}); }};</script>
</body></html>"""


def asset(name: str) -> tuple[bytes, str] | None:
    path = (ASSETS / name).resolve()
    if ASSETS.resolve() not in path.parents or not path.is_file():
        return None
    return path.read_bytes(), ASSET_TYPES.get(path.suffix, "application/octet-stream")


def index_html(apis: list[dict[str, Any]]) -> str:
    rows = []
    for api in apis:
        creds = "<br>".join(html.escape(c.get("describe", "")) for c in api["credentials"])
        rows.append(
            f"<tr><td><b>{html.escape(api['title'])}</b><br><code>{html.escape(api['name'])}</code></td>"
            f"<td><code>{html.escape(api['base_url'])}</code></td>"
            f"<td><a href=\"{html.escape(api['ui'])}\">Swagger UI</a> · "
            f"<a href=\"{html.escape(api['spec'])}\">openapi.json</a></td>"
            f"<td>{creds}</td><td><pre>{html.escape(api['example'])}</pre></td></tr>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>understudy</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.5em;vertical-align:top;text-align:left}}
pre{{white-space:pre-wrap;max-width:40em;margin:0}}</style></head>
<body><h1>understudy</h1>
<p>Local stand-ins for real REST APIs. Point a client at a base URL below; change nothing else.
Reset state with <code>POST /__understudy/reset</code>; see recent calls at
<a href="/__understudy/requests">/__understudy/requests</a>.</p>
<table><tr><th>API</th><th>Base URL</th><th>Docs</th><th>Demo credentials</th><th>Try it</th></tr>
{''.join(rows)}</table></body></html>"""
