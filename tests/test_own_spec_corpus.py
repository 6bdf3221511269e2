"""Issue 21's "Done when" on the corpus of real public specs (tests/corpus/corpus.yaml): each spec,
served as `understudy serve SPEC` serves it with response validation on (an answer that breaks
the spec becomes a 500), answers one plausible request per operation (up to 30, sent with the
demo credentials `GET /__understudy/credentials` lists) with a documented status, never a 5xx, and
a 2xx unless the operation documents no success; every resource the inference finds keeps what
is POSTed (read back by a GET of its id, changed by PATCH, gone after DELETE); and Schemathesis
(its engine: every check and phase, a few examples per operation) finds nothing no server could
avoid. The shares are printed at the end of the run. Installed from npm by
`python tests/corpus/install.py` (`.ci/run` does it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from contract import CASES
from conftest import TEST_CONFIG
from understudy.app import create_app
from understudy.spec import load_spec

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
from install import installed, spec_paths  # noqa: E402
from contract_run import reachable, run  # noqa: E402
from plausible import TALLY, Probe, read_back  # noqa: E402

pytestmark = [pytest.mark.once,
              pytest.mark.skipif(not installed(), reason="the spec corpus is not installed: run "
                                 "`python tests/corpus/install.py` (needs npm), as .ci/run does")]

OPERATIONS = 30  # plausible requests per spec (spread over its operations)
CONTRACT_OPERATIONS = 12  # operations per spec Schemathesis runs on
CONTRACT_EXAMPLES = 3

SPECS = [pytest.param(path, id=entry["path"], marks=pytest.mark.xdist_group(entry["path"]))
         for path, entry in spec_paths()]
NAMES = {path: entry["path"] for path, entry in spec_paths()}


class Served:
    """One corpus spec as `understudy serve SPEC` serves it, with a client and a probe."""

    def __init__(self, path: Path):
        self.path, self.name = path, NAMES[path]
        self.app = create_app({**TEST_CONFIG, "specs": [str(path)], "journal_size": 50})
        self.api = next(iter(self.app.apis))
        self.client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self.probe = Probe(self.app, self.client, load_spec(path))


@pytest.fixture(scope="module", params=SPECS)
def served(request):
    return Served(request.param)


def test_every_spec_of_the_corpus_loads():
    """(The app of each spec is built by the `served` fixture; this row counts them.)"""
    assert len(SPECS) >= 25


def test_one_plausible_request_per_operation(served):
    served.app.reset()
    wrong = []
    for op in served.probe.sample(OPERATIONS):
        sent = served.probe.send(op)
        TALLY["requests"] += 1
        TALLY["2xx"] += sent.status < 300
        if sent.status >= 500 or not sent.documented:
            wrong.append(sent.describe())
        elif sent.status >= 300 and served.probe.documents_success(op):
            wrong.append(sent.describe())
    assert wrong == []


def test_a_post_is_read_back_changed_and_deleted(served):
    wrong = []
    for resource in served.probe.resources.resources:
        if ("get", resource.item) not in served.probe.by_key:
            continue
        served.app.reset()  # each from the starting state: a parent another lifecycle deleted is gone
        TALLY["pairs"] += 1
        steps = served.probe.lifecycle(resource)
        problem = read_back(served.probe, resource, steps)
        TALLY["read back"] += problem is None
        if problem is not None:
            wrong.append(f"{resource.name}: {problem}")
    assert wrong == []


# -- Schemathesis -----------------------------------------------------------------------------
def test_schemathesis_finds_nothing(served):
    """Every check, every phase (examples, coverage, fuzzing, stateful), a few examples per
    operation, over operations spread over the spec; a failure no server could avoid is counted
    apart with its reason (contract_run.EXCUSES)."""
    served.app.reset()
    spec = served.probe.spec
    chosen = {(op.method.upper(), op.path)
              for op in served.probe.sample(CONTRACT_OPERATIONS, lambda op: reachable(op, spec.document))}
    found, cases = run(served.app, operations=chosen, examples=CONTRACT_EXAMPLES)
    CASES["corpus"] += cases
    for item in found:
        if item.excuse is not None:
            TALLY[f"schemathesis excused: {item.check}: {item.excuse[:90]}"] += 1
    assert [f.describe() for f in found if f.excuse is None] == []
