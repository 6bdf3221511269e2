"""Path templates with `#` or `?` in them (AWS writes `/#X-Amz-Target=AmazonSSM.ListDocuments` and
`/{Bucket}#encryption`, weatherbit `/current?city={city}&country={country}`): no client can send
those characters as part of a path, so such a route is reached by sending them percent-encoded
(`client_path`), or as a real client sends it: the path part, with what the template names after
`?` or `#` as query parameters or headers (`discriminators`; AWS's JSON protocol sends the
fragment as the `X-Amz-Target` header). `split_template` gives the three parts."""

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


def discriminators(template: str) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    """(the path part, what a request must carry besides it) of a template with `?` or `#`: each
    `name` or `name=value` after them, a query parameter or header of that name (with that value
    where the template fixes one): `/{Bucket}#analytics&id` -> ("/{Bucket}", (("analytics", None),
    ("id", None))); `/#X-Amz-Target=A.B` -> ("/", (("X-Amz-Target", "A.B"),))."""
    rest, _, fragment = template.partition("#")
    path, _, query = rest.partition("?")
    needs = []
    for token in [t for part in (query, fragment) if part for t in part.split("&")]:
        name, sep, value = token.partition("=")
        if name:
            needs.append((name, value if sep and value and not _PARAM.fullmatch(value) else None))
    return path or "/", tuple(needs)
