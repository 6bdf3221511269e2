"""The demo credentials every API lists, in one shape: whatever an API's `credentials` callable
returns (its own fields: user names, roles, tenants...) gains what a client sends, as
`{"headers": {...}, "query": {...}, "cookies": {...}}`, so a script, the index page or Swagger UI
can use any API's credential without knowing the API."""

from __future__ import annotations

import base64
from typing import Any


def what_to_send(entry: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The headers, query and cookies of one listed credential (as it already says, or from its
    Basic user/password, bearer token, or API key header and value)."""
    if all(part in entry for part in ("headers", "query", "cookies")):
        return {part: dict(entry[part]) for part in ("headers", "query", "cookies")}
    headers: dict[str, str] = {}
    if "token" in entry:
        headers["Authorization"] = f"Bearer {entry['token']}"
    elif isinstance(entry.get("header"), str) and "value" in entry:
        headers[entry["header"]] = str(entry["value"])
    elif "password" in entry:
        pair = f"{entry.get('username', '')}:{entry['password']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    if isinstance(entry.get("header"), dict):
        headers.update({k: str(v) for k, v in entry["header"].items()})
    return {"headers": headers, "query": dict(entry.get("query") or {}), "cookies": dict(entry.get("cookies") or {})}


def listed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**entry, **what_to_send(entry)} for entry in entries]
