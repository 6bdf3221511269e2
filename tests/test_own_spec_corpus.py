"""Issue 21's "Done when" on the corpus of real public specs (tests/corpus/corpus.yaml): each spec,
served as `understudy serve SPEC` serves it with response validation on (an answer that breaks
the spec becomes a 500), answers one plausible request per operation (up to 30, sent with the
demo credentials `GET /__understudy/credentials` lists) with a documented status, never a 5xx, and
a 2xx unless the operation documents no success; every resource the inference finds keeps what
is POSTed (read back by a GET of its id, changed by PATCH, gone after DELETE); and Schemathesis
(every check, a few examples per operation) finds nothing. The shares are printed at the end of
the run. Installed from npm by `python tests/corpus/install.py` (`.ci/run` does it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from starlette.testclient import TestClient

from contract import check
from understudy.app import create_app
from understudy.contract import merged
from understudy.spec import load_spec

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
from install import installed, spec_paths  # noqa: E402
from plausible import TALLY, Probe, read_back  # noqa: E402

pytestmark = [pytest.mark.once,
              pytest.mark.skipif(not installed(), reason="the spec corpus is not installed: run "
                                 "`python tests/corpus/install.py` (needs npm), as .ci/run does")]

OPERATIONS = 30  # plausible requests per spec (spread over its operations)
CONTRACT_OPERATIONS = 12  # operations per spec Schemathesis runs on
CONTRACT_EXAMPLES = 3

# Answers that are not 2xx although the operation documents a success, and why: what the probe
# cannot send, never what the server gets wrong. (spec, "METHOD /template") -> reason
NOT_2XX = {
    ("api/stripe.com.json", "POST /v1/invoices/{invoice}"):
        "a form body cannot carry the empty object the generated shipping_details holds",
    ("api/stripe.com.json", "POST /v1/terminal/readers/{reader}/set_reader_display"):
        "a form body cannot carry the empty line_items array the schema requires",
}
# Collection/item pairs whose POST is not read back, and why. name -> reason
NOT_READ_BACK = {
    ("api/stripe.com.json", "configurations"): "a form body cannot carry the empty products array",
    ("api/stripe.com.json", "customers"): "a form body cannot carry the empty shipping address",
    ("api/stripe.com.json", "payment_links"): "a form body cannot carry the empty line_items array",
}

SPECS = [pytest.param(path, id=entry["path"], marks=pytest.mark.xdist_group(entry["path"]))
         for path, entry in spec_paths()]
NAMES = {path: entry["path"] for path, entry in spec_paths()}


class Served:
    """One corpus spec as `understudy serve SPEC` serves it, with a client and a probe."""

    def __init__(self, path: Path):
        self.path, self.name = path, NAMES[path]
        self.app = create_app({"specs": [str(path)], "validate_responses": True, "journal_size": 50})
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
        key = (served.name, f"{op.method.upper()} {op.path}")
        TALLY["requests"] += 1
        TALLY["2xx"] += sent.status < 300
        if sent.status >= 500 or not sent.documented:
            wrong.append(sent.describe())
        elif sent.status >= 300 and served.probe.documents_success(op) and key not in NOT_2XX:
            wrong.append(sent.describe())
    assert wrong == []


def test_a_post_is_read_back_changed_and_deleted(served):
    served.app.reset()
    wrong = []
    for resource in served.probe.resources.resources:
        if ("get", resource.item) not in served.probe.by_key:
            continue
        TALLY["pairs"] += 1
        steps = served.probe.lifecycle(resource)
        problem = read_back(served.probe, resource, steps)
        TALLY["read back"] += problem is None
        if problem is not None and (served.name, resource.name) not in NOT_READ_BACK:
            wrong.append(f"{resource.name}: {problem}")
    assert wrong == []


# -- Schemathesis -----------------------------------------------------------------------------
@pytest.fixture
def corpus_schema(served):
    definition = served.app.apis[served.api]
    auth = definition.contract_auth(served.app.config)
    config = SchemathesisConfig.from_dict(merged(
        {"auth": {"openapi": auth}} if auth else {},
        {"generation": {"max-examples": CONTRACT_EXAMPLES}, "phases": {"coverage": {"enabled": False}}},
    ))
    chosen = {(op.method.upper(), served.probe.client_path(op)) for op in served.probe.sample(CONTRACT_OPERATIONS)}
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.app, config=config)
    return schema.include(lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in chosen)


schema = schemathesis.pytest.from_fixture("corpus_schema")


@schema.parametrize()
def test_schemathesis_finds_nothing(case, served):
    check(served.app, "corpus", case)

