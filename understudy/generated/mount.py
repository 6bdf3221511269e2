"""A user's spec as an API the engine mounts: the same `ApiDefinition` the built-in APIs declare,
whose handlers are generated for every operation no handler of `--handlers DIR` claims.

    api = definition(load_spec("openapi.yaml"), handlers="handlers/", fixtures="fixtures/")
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from connexion.resolver import Resolution, Resolver
from starlette.responses import Response

from ..api import ApiDefinition
from ..context import current, header
from ..context import store as current_store
from ..errors import ApiError
from ..spec.load import Spec
from ..validation import BODY_SCOPE_KEY, PARAMS_SCOPE_KEY
from .bodies import Bodies, Unsatisfiable
from .credentials import Credentials, secret_names
from .handler import GeneratedOperation
from .problems import PROBLEM, client_error, problem, status_for
from .resources import infer, seed


def handler_modules(folder: str | Path, api_name: str) -> list[ModuleType]:
    """Every module of a `--handlers` folder, imported under a package of its own (so a user's
    `handlers.py` never shadows anything), the one way a user's code runs."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ApiDefinitionError(f"--handlers {folder}: not a folder")
    package = "understudy_user_handlers_" + re.sub(r"\W", "_", api_name)
    init = folder / "__init__.py"
    spec = importlib.util.spec_from_file_location(package, init if init.exists() else None,
                                                  submodule_search_locations=[str(folder)])
    root = importlib.util.module_from_spec(spec)
    sys.modules[package] = root
    if init.exists():
        spec.loader.exec_module(root)
    modules = [root] if init.exists() else []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        modules.append(importlib.import_module(f"{package}.{path.stem}"))
    return modules


class ApiDefinitionError(Exception):
    """A user's spec cannot be mounted as given (one line, for the CLI)."""


class GeneratedResolver(Resolver):
    """An operation's handler: a function of `--handlers` named by its operationId (`listPets`,
    or `module.function`), else its generated behaviour."""

    def __init__(self, generate: Callable[[str, str], Callable], modules: list[ModuleType]):
        super().__init__()
        self.generate = generate
        self.modules = modules

    def resolve(self, operation) -> Resolution:
        operation_id = operation.operation_id or f"{operation.method.upper()} {operation.path}"
        return Resolution(self.claimed(operation.operation_id) or self.generate(operation.method, operation.path),
                          operation_id)

    def claimed(self, operation_id: str | None) -> Callable | None:
        if not operation_id:
            return None
        module_name, _, function = operation_id.rpartition(".")
        for module in self.modules:
            if module_name and not module.__name__.endswith("." + module_name):
                continue
            found = getattr(module, function, None)
            if callable(found):
                return found
        return None


def definition(spec: Spec, *, name: str | None = None, handlers: str | Path | None = None,
               fixtures: str | Path | None = None, credentials: str | Path | None = None,
               any_credential: bool = False) -> ApiDefinition:
    name = name or spec.name
    bodies = Bodies(spec)
    resources = infer(spec)
    creds = Credentials(spec, path=credentials, any_credential=any_credential)
    generated: dict[tuple[str, str], GeneratedOperation] = {}

    def generate(method: str, path: str) -> Callable:
        key = (method.lower(), path)

        async def answer(**_: Any):  # the parameters come parsed from the request's scope
            operation = generated.get(key)
            if operation is None:
                operation = generated[key] = GeneratedOperation(spec, bodies, resources, key[0], path)
            scope = current().scope
            query, path_params = scope.get(PARAMS_SCOPE_KEY) or ({}, {})
            found = operation.answer(path_params=path_params, query=query, body=scope.get(BODY_SCOPE_KEY),
                                     accept=header("accept"), store=current_store(),
                                     rng=_dynamic(current().extras.get("prefer")))
            headers = dict(found.headers)
            return Response(found.body, status_code=found.status, headers=headers, media_type=found.media_type)

        answer.__name__ = "generated_" + key[0] + "_" + re.sub(r"\W", "_", path)
        answer.reads_scope = True  # the engine calls it with no arguments (understudy.invoke)
        return answer

    def operation_error(error: ApiError, operation: dict | None) -> tuple[int, str | None, bytes]:
        if operation is None:  # before routing found one: an unknown path, a wrong method
            status = status_for(error)
            return status, PROBLEM, json.dumps(problem(status, error.detail(), error.violations)).encode()
        return client_error(bodies, operation, error)

    def starting_state() -> dict:
        return seed(spec, resources, Path(fixtures) if fixtures else None, bodies)

    modules = handler_modules(handlers, name) if handlers else []
    if fixtures and not Path(fixtures).is_dir():
        raise ApiDefinitionError(f"--fixtures {fixtures}: not a folder")
    title = str((spec.document.get("info") or {}).get("title") or name)
    kinds = {creds.verifiers[n].kind for n in creds.verifiers}
    challenge = f'Basic realm="{title}"' if "basic" in kinds else "Bearer" if kinds & {"bearer", "oauth2"} else None
    return ApiDefinition(
        name=name,
        title=title,
        spec=spec.source,
        document=spec.document,
        render_error=lambda error, status: problem(status, error.detail(), error.violations),
        www_authenticate=challenge,
        operation_error=operation_error,
        verifiers=creds.verifiers,
        credentials=lambda config, state: creds.listing(),
        contract_auth=lambda config: _contract_auth(creds),
        resolver=GeneratedResolver(generate, modules),
        request_validator=lambda schema: spec.validator(schema, "request"),
        response_validator=lambda schema: spec.validator(schema, "response"),
        fixtures=starting_state,
        secret_names=secret_names(spec.document),
        eager=False,
        route_fallback=True,
        response_example=lambda media, rng: _example(bodies, media, rng),
    )


def _example(bodies: Bodies, media: dict, rng: Any) -> Any:
    """A media type's own valid example (without `dynamic=true`), else a body made from its schema."""
    if rng is None:
        ok, value = bodies.example_of(media, "response")
        if ok:
            return value
    schema = media.get("schema")
    if schema is None:
        return None
    try:
        return bodies.value(schema, "response", rng)
    except Unsatisfiable as error:
        raise ApiError("internal", f"The spec's response schema admits no value: {error}") from None


def _dynamic(prefer: Any):
    if prefer is not None and getattr(prefer, "dynamic", False):
        import random

        return random.Random()
    return None


def _contract_auth(creds: Credentials) -> dict[str, dict]:
    """The demo credentials as Schemathesis' `[auth.openapi.<scheme>]` takes them."""
    out: dict[str, dict] = {}
    for credential in creds.credentials:
        if credential.scheme in out:
            continue
        if isinstance(credential.secret, tuple):
            out[credential.scheme] = {"username": credential.secret[0], "password": credential.secret[1]}
        elif creds.verifiers[credential.scheme].kind in ("bearer", "oauth2"):
            out[credential.scheme] = {"bearer": str(credential.secret)}
        else:
            out[credential.scheme] = {"api_key": str(credential.secret)}
    return out
