"""The contract idiom shared by every API's Schemathesis test: load the served spec from the
in-process app, authenticate every security scheme, reset state between cases, count the cases."""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

CASES: Counter = Counter()  # api -> cases run in this process (reported at the end of the run)


def contract_schema(app, api: str, auth: dict[str, dict[str, Any]] | None = None, *,
                    max_examples: int = 25, extra: dict[str, Any] | None = None):
    """`auth` maps each security scheme of the spec to its credentials, as Schemathesis'
    `[auth.openapi.<scheme>]` takes them (username/password, api_key, bearer); by default the
    API's own demo credentials (`ApiDefinition.contract_auth`)."""
    if auth is None:
        auth = app.apis[api].contract_auth(app.config)
    config = SchemathesisConfig.from_dict({
        **({"auth": {"openapi": auth}} if auth else {}),
        "generation": {"max-examples": max_examples},
        **(extra or {}),
    })
    return schemathesis.openapi.from_asgi(f"/{api}/openapi.json", app, config=config)


def fresh(app) -> None:
    """The fixtures' state; the reset is skipped when nothing was written since the last one."""
    if app.store.generation != PRISTINE.get(id(app)):
        app.reset()
        PRISTINE[id(app)] = app.store.generation


PRISTINE: dict[int, int] = {}  # id(app) -> the store generation right after its last reset


def check(app, api: str, case, **kwargs):
    """Run one case from the fixtures' state with every default check; responses are also
    validated against the spec by the app itself."""
    fresh(app)
    CASES[api] += 1
    return case.call_and_validate(**kwargs)
