"""Media types of generated answers: which documented media type an `Accept` header admits
(`negotiate`), the Content-Type to send for a documented wildcard (`concrete`), and a value in a
media type (`render`: JSON, text, a small XML document, or bytes).

    media = negotiate("application/xml;q=0.5, */*", ["application/json", "application/xml"])
    payload = render({"id": 1}, concrete(media, accept), schema)
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape as xml_escape

JSON = "application/json"


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The documented media type an `Accept` header admits best (q-values and wildcards, the most
    specific range deciding), the first documented one when there is no Accept; None when none
    fits (-> 406)."""
    if not offered:
        return None
    if not accept or not accept.strip():
        return offered[0]
    ranges = []
    for i, part in enumerate(accept.split(",")):
        bits = [b.strip() for b in part.split(";")]
        q = 1.0
        for bit in bits[1:]:
            if bit.lower().startswith("q="):
                try:
                    q = float(bit[2:])
                except ValueError:
                    q = 0.0
        if bits[0]:
            ranges.append((bits[0].lower(), q, i))
    best, best_rank = None, None
    for j, mime in enumerate(offered):
        base = mime.split(";")[0].strip().lower()
        matching = [(_specificity(p), q) for p, q, _ in ranges if _matches(p, base)]
        if not matching:
            continue
        q = max(matching)[1]  # the most specific range that matches decides (RFC 9110)
        if q > 0 and (best_rank is None or (q, -j) > best_rank):
            best, best_rank = mime, (q, -j)
    return best


def _matches(pattern: str, mime: str) -> bool:
    if pattern == "*/*" or mime == "*/*":
        return True
    p_type, _, p_sub = pattern.partition("/")
    m_type, _, m_sub = mime.partition("/")
    if m_sub == "*":  # a documented `text/*` answers any text type asked for
        return p_type == m_type or p_type == "*"
    return p_type == m_type and (p_sub == "*" or p_sub == m_sub)


def _specificity(pattern: str) -> int:
    return 0 if pattern == "*/*" else 1 if pattern.endswith("/*") else 2


def _is_json(mime: str) -> bool:
    base = mime.split(";")[0].strip().lower()
    return base in (JSON, "*/*", "application/*") or base.endswith("+json")


def concrete(mime: str, accept: str | None) -> str:
    """The Content-Type to send for a documented media type (a wildcard becomes a real type)."""
    base = mime.split(";")[0].strip().lower()
    if base in ("*/*", "application/*"):
        return JSON
    if base == "text/*":
        return "text/plain"
    if base.endswith("/*"):
        return base[:-1] + "octet-stream"
    return mime


def render(value: Any, media_type: str, schema: dict | None = None) -> bytes:
    """A value in a media type: JSON, text, a small XML document, or bytes."""
    base = media_type.split(";")[0].strip().lower()
    if value is None and not _is_json(base):
        return b""
    if _is_json(base):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    if base.startswith("text/") and not base.endswith("xml"):
        return (value if isinstance(value, str) else json.dumps(value)).encode()
    if base.endswith("xml"):
        root = ((schema or {}).get("xml") or {}).get("name", "root") if isinstance(schema, dict) else "root"
        return ('<?xml version="1.0" encoding="UTF-8"?>' + _xml(root, value)).encode()
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml(k, v) for k, v in value.items())
    elif isinstance(value, list):
        inner = "".join(_xml("item", v) for v in value)
    elif value is None:
        inner = ""
    else:
        inner = xml_escape(str(value).lower() if isinstance(value, bool) else str(value))
    return f"<{tag}>{inner}</{tag}>"
