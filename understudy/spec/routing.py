"""Path templates with `#` or `?` in them (AWS writes `/#X-Amz-Target=AmazonSSM.ListDocuments` and
`/{Bucket}?list-type=2`): no client can send those characters as part of a path, so such a route
is reached by sending them percent-encoded. `client_path` gives the path a client sends;
`split_template` gives the parts a router can also match on (the path, a fixed query, and the
fragment, which AWS's JSON protocol sends as the `X-Amz-Target` header)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote

_PARAM = re.compile(r"(\{[^}]*\})")


def client_path(template: str) -> str:
    """The path a client sends for a template, `{params}` kept: `#`, `?` and anything else a
    path cannot carry as is, percent-encoded (`/#X-Amz-Target=A.B` -> `/%23X-Amz-Target=A.B`)."""
    return "".join(part if _PARAM.fullmatch(part) else quote(part, safe="/:@!$&'()*+,;=-._~%")
                   for part in _PARAM.split(template))


def has_special(template: str) -> bool:
    return "#" in template or "?" in template


def split_template(template: str) -> tuple[str, dict[str, str], str]:
    """(path, fixed query, fragment): `/{Bucket}?list-type=2` -> ("/{Bucket}", {"list-type": "2"}, "");
    `/#X-Amz-Target=A.B` -> ("/", {}, "X-Amz-Target=A.B")."""
    rest, _, fragment = template.partition("#")
    path, _, query = rest.partition("?")
    return path or "/", dict(parse_qsl(query, keep_blank_values=True)), fragment
