"""Installs the spec corpus (tests/corpus/corpus.yaml) from the npm registry into
tests/corpus/.cache/, once: `.ci/run` calls it; tests/test_spec_corpus.py skips without it.

    python tests/corpus/install.py            # exit 0 when installed (or already there)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
LIST = HERE / "corpus.yaml"


def corpus() -> dict:
    return yaml.safe_load(LIST.read_text(encoding="utf-8"))


def package_dir(name: str) -> Path:
    return CACHE / "node_modules" / name


def spec_paths() -> list[tuple[Path, dict]]:
    """(installed file, its corpus entry) for every spec in the list."""
    return [(package_dir(entry["package"]) / entry["path"], entry) for entry in corpus()["specs"]]


def installed() -> bool:
    return all(path.is_file() for path, _ in spec_paths())


def install() -> int:
    if installed():
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("npm is not installed: the spec corpus is not installed", file=sys.stderr)
        return 1
    CACHE.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-save",
               "--prefix", str(CACHE), *corpus()["packages"]]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        return result.returncode
    missing = [str(path) for path, _ in spec_paths() if not path.is_file()]
    if missing:
        print("not in the installed packages: " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(install())
