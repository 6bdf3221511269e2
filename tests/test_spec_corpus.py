"""The corpus of real public specs (tests/corpus/corpus.yaml): each loads, is linted, has its
resources inferred, and gets a valid body for every documented response. Installed from npm by
`python tests/corpus/install.py` (`.ci/run` does it); skipped without it."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from understudy.generated import Bodies, Unsatisfiable, infer
from understudy.spec import lint, load_spec
from understudy.spec.walk import operations, resolve

sys.path.insert(0, str(Path(__file__).parent / "corpus"))
from install import installed, spec_paths  # noqa: E402

pytestmark = [pytest.mark.once,
              pytest.mark.skipif(not installed(), reason="the spec corpus is not installed: run "
                                 "`python tests/corpus/install.py` (needs npm), as .ci/run does")]

# Response schemas that admit no value at all (the spec contradicts itself), by spec and count.
CONTRADICTORY = {"api/vercel.com.json": 3}  # {"type": "null", "oneOf": [string, number]}


@pytest.mark.parametrize("path, entry", spec_paths(), ids=[e["path"] for _, e in spec_paths()])
def test_corpus_spec(path, entry, capsys):
    start = time.perf_counter()
    spec = load_spec(path)
    loaded = time.perf_counter() - start
    mistakes = lint(spec)
    resources = infer(spec, {})
    bodies = Bodies(spec)
    made = failed = 0
    for op in operations(spec.document):
        for response in (op.operation.get("responses") or {}).values():
            for media in ((resolve(spec.document, response) or {}).get("content") or {}).values():
                if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                    try:
                        value = bodies.value(media["schema"], "response")
                    except Unsatisfiable:
                        failed += 1
                        continue
                    # (a schema the validator cannot read counts as valid; lint lists it)
                    assert bodies.valid(media["schema"], value, "response")
                    made += 1
    with capsys.disabled():
        print(f"\n{entry['path']}: {spec.version}, loaded in {loaded:.2f} s, {len(mistakes)} mistakes "
              f"{dict(Counter(m.rule for m in mistakes))}, {len(resources.resources)} resources, {made} bodies")
    assert failed == CONTRADICTORY.get(entry["path"], 0)
