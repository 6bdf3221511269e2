"""Schemathesis' own engine (what its CLI runs: examples, coverage, fuzzing and stateful phases,
every check) over chosen operations of a served spec, in process. (Its pytest integration cannot
load a schema lazily under pytest 9, and loading 40 specs at collection would build 40 servers in
every xdist worker.)

    found = run(app, operations={("GET", "/pets/{petId}")}, examples=3)
    [f.describe() for f in found]   # every failure: operation, check, status, curl
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import Status, events, from_schema

from understudy.contract import merged


@dataclass
class Found:
    operation: str
    check: str
    failure: Failure
    case: Any
    status: int | None
    phase: str

    def describe(self) -> str:
        curl = self.case.as_curl_command() if self.case is not None else ""
        return (f"{self.operation} [{self.phase}] {self.check}: {self.failure.title} "
                f"({self.status}) {str(self.failure.message)[:300]} -- {curl[:400]}")


def run(app: Any, *, operations: set[tuple[str, str]], examples: int = 3, phases: dict | None = None,
        extra: dict | None = None) -> tuple[list[Found], int]:
    """(failures, cases run) of Schemathesis over `operations` ((METHOD, template) as the spec
    names them) of the one API `app` serves at its root, with its demo credentials."""
    definition = next(iter(app.apis.values()))
    auth = definition.contract_auth(app.config) if definition.contract_auth else {}
    config = SchemathesisConfig.from_dict(merged(
        {"auth": {"openapi": auth}} if auth else {},
        {"generation": {"max-examples": examples}, "phases": phases or {}},
        definition.contract_config or {},
        extra or {},
    ))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    schema = schema.include(lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in operations)
    found: list[Found] = []
    cases = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            if event.status != Status.FAILURE:
                continue
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status != Status.FAILURE or check.failure_info is None:
                        continue
                    node = event.recorder.cases.get(case_id)
                    interaction = event.recorder.interactions.get(case_id)
                    status = interaction.response.status_code if interaction and interaction.response else None
                    found.append(Found(event.recorder.label, check.name, check.failure_info.failure,
                                       node.value if node else None, status, str(event.phase.value)))
        elif isinstance(event, events.NonFatalError):
            found.append(Found(event.label, "error", Failure(operation=event.label, title="error",
                                                             message=str(event.info)), None, None, "error"))
        elif isinstance(event, events.FatalError):
            raise event.exception
    return found, cases
