"""Does an answer keep the contract? One operation's documented responses compiled once: the status
must be documented (exactly, as `4XX`, or by `default`), the Content-Type must be one the status
documents, a JSON body must validate against its schema, required headers must be there and every
documented header must fit its schema. Used by response validation in the tests and by whatever
checks answers it did not make itself."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4ResponseValidator
from jsonschema import Draft4Validator
from starlette.types import Receive, Scope, Send

from .errors import ApiError, Violation
from .validation import coerce_scalar, pointer

log = logging.getLogger("understudy")

ResponseValidatorFactory = Callable[[dict], Any]


def openapi30_response_validator(schema: dict):
    return Draft4ResponseValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def is_json(mime: str) -> bool:
    return mime == "application/json" or mime.endswith("+json")


class ResponseContract:
    def __init__(self, responses: dict, validator: ResponseValidatorFactory = openapi30_response_validator):
        self.responses = responses
        self.make_validator = validator
        self._compiled: dict[tuple[str, str], Any] = {}

    def documented(self, status: int) -> tuple[str, dict] | None:
        """(key, response object) that documents `status`, or None."""
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in self.responses:
                return key, self.responses[key] or {}
        return None

    def _body_validator(self, key: str, mime: str, schema: dict):
        found = self._compiled.get((key, mime))
        if found is None:
            found = self._compiled[(key, mime)] = self.make_validator(schema)
        return found

    def violations(self, status: int, headers: Any, body: bytes) -> list[Violation]:
        """Every way the answer breaks the contract (an empty list when it keeps it). `headers`:
        a mapping with case-insensitive `get` (Starlette's Headers)."""
        found = self.documented(status)
        if found is None:
            documented = ", ".join(sorted(self.responses)) or "none"
            return [Violation("status", str(status), f"status {status} is not documented (documented: {documented})")]
        key, response = found
        problems: list[Violation] = []
        for name, header in (response.get("headers") or {}).items():
            if name.lower() == "content-type":
                continue
            value = headers.get(name)
            if value is None:
                if header.get("required"):
                    problems.append(Violation("header", name, f"required header {name} is missing"))
                continue
            schema = header.get("schema") or {}
            if schema:
                for error in self.make_validator(schema).iter_errors(coerce_scalar(value, schema)):
                    problems.append(Violation("header", name, error.message))
        content = response.get("content") or {}
        content_type = headers.get("content-type")
        mime = content_type.split(";")[0].strip().lower() if content_type else None
        if not content:
            if body:
                problems.append(Violation("body", "", f"status {status} documents no body, but {len(body)} bytes came"))
            return problems
        if not body and status in (204, 304):
            return problems
        if mime is None:
            problems.append(Violation("header", "Content-Type", f"missing; documented: {', '.join(content)}"))
            return problems
        media_types = MediaTypeDict([(m.lower(), media or {}) for m, media in content.items()])
        if mime not in media_types:
            problems.append(Violation("header", "Content-Type", f"{mime} is not documented for status {key} "
                                                                 f"(documented: {', '.join(content)})"))
            return problems
        media = media_types[mime]
        schema = media.get("schema")
        if schema is None or not is_json(mime):
            return problems
        try:
            parsed = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError) as error:
            return problems + [Violation("body", "", f"not valid JSON: {error}")]
        if parsed is None and not body:
            return problems + [Violation("body", "", "empty, but the status documents a JSON body")]
        validator = self._body_validator(key, mime, schema)
        for error in sorted(validator.iter_errors(parsed), key=lambda e: list(map(str, e.absolute_path))):
            problems.append(Violation("body", pointer(error.absolute_path), error.message, str(error.validator)))
        return problems


class ResponseValidation:
    """The step that holds an operation's answers to its contract (on in tests): an answer that
    breaks it becomes a 500 naming every violation, so no test passes on a wrong answer."""

    def __init__(self, next_app, contract: ResponseContract):
        self.next_app = next_app
        self.contract = contract

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.datastructures import Headers

        start: dict | None = None
        chunks: list[bytes] = []

        async def hold(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            assert start is not None
            body = b"".join(chunks)
            problems = self.contract.violations(start["status"], Headers(raw=start.get("headers", [])), body)
            if problems:
                log.error("%s %s answered %s against its contract: %s", scope["method"], scope["path"],
                          start["status"], "; ".join(p.describe() for p in problems))
                raise ApiError("internal", "Response does not keep the contract: "
                               + "; ".join(p.describe() for p in problems), problems)
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.next_app(scope, receive, hold)
