"""Building responses: JSON bodies and each API's errors."""

from __future__ import annotations

import json
from typing import Any

import orjson

from starlette.responses import Response

from .api import ApiDefinition
from .errors import ApiError

JSON = "application/json"


# orjson writes what json.dumps(ensure_ascii=False, separators=(",", ":")) writes, about twenty
# times faster; what it refuses (an int past 64 bits, a value json.dumps refuses too) goes to
# json.dumps, so the result (or the TypeError) is json's.
ORJSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data, option=ORJSON)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None, media_type: str = JSON
) -> Response:
    """What every handler returns: the body already serialised, the media type explicit."""
    return Response(dumps(data), status_code=status, headers=headers, media_type=media_type)


def empty_response(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)


def render_error(api: ApiDefinition, error: ApiError, operation: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with Content-Type, body) of an error in the API's own wire format (in the
    form the operation documents, for an API that renders errors per operation)."""
    headers = dict(error.headers)
    if api.operation_error is not None:
        status, media_type, payload = api.operation_error(error, operation)
    else:
        status = api.status_for(error)
        media_type, payload = JSON, dumps(api.render_error(error, status))
    if status == 401 and api.www_authenticate and "WWW-Authenticate" not in headers:
        headers["WWW-Authenticate"] = api.www_authenticate
    if media_type:
        headers["Content-Type"] = media_type
    return status, headers, payload


def asgi_headers(headers: dict[str, str], body: bytes) -> list[tuple[bytes, bytes]]:
    """Response headers as ASGI sends them, with Content-Length."""
    return [(b"content-length", str(len(body)).encode())] + [
        (k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]


def error_response(api: ApiDefinition, error: ApiError) -> Response:
    status, headers, body = render_error(api, error)
    return Response(body, status_code=status, headers=headers)
