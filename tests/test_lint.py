"""The code and the specs pass the project's lint (ruff for Python, yamllint for the YAML:
duplicate keys and syntax slips in a spec would otherwise load silently)."""

import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.once


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "ruff", "check", "--no-cache", "understudy", "tests", "benchmarks"],
    [sys.executable, "-m", "yamllint", "--strict", "understudy/builtin/openapi", "understudy/admin.yaml"],
])
def test_lint(command):
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
