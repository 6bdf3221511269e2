"""The client generators the generator check runs, installed into tests/tools/.cache/ (gitignored):
openapi-python-client from PyPI in a virtual environment of its own, openapi-typescript and
TypeScript from the npm registry. `.ci/run` installs both first:

    .venv/bin/python tests/tools/generators.py

The tests install a missing one on first use, and skip with the reason when that cannot be done
(no npm, no registry)."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import venv
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
PYTHON_CLIENT_CONFIG = HERE / "openapi-python-client.yaml"

PYTHON_GENERATOR = "openapi-python-client==0.29.1"
PYTHON_GENERATOR_DIR = CACHE / "openapi-python-client"
TYPESCRIPT_PACKAGES = ["openapi-typescript@7.13.0", "typescript@5.9.3"]
TYPESCRIPT_DIR = CACHE / "openapi-typescript"


@contextmanager
def _one_installer():
    """One process installs at a time (test workers may all ask at once); the others then find it."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _installed(marker: Path, wanted: str) -> bool:
    return marker.exists() and marker.read_text() == wanted


def _failed(what: str, done: subprocess.CompletedProcess) -> str:
    return f"installing {what} failed: " + (done.stderr or done.stdout).strip()[-400:]


def python_generator() -> tuple[Path | None, str]:
    """(the Python of openapi-python-client's environment, "") or (None, why it is missing). That
    Python also runs the generated clients: their dependencies (httpx, attrs) are the generator's."""
    with _one_installer():
        return _python_generator()


def typescript_generator() -> tuple[Path | None, str]:
    """(the node_modules/.bin holding openapi-typescript and tsc, "") or (None, why they are missing)."""
    with _one_installer():
        return _typescript_generator()


def _python_generator() -> tuple[Path | None, str]:
    python = PYTHON_GENERATOR_DIR / "bin" / "python"
    marker = PYTHON_GENERATOR_DIR / "installed"
    if _installed(marker, PYTHON_GENERATOR):
        return python, ""
    shutil.rmtree(PYTHON_GENERATOR_DIR, ignore_errors=True)
    try:
        venv.create(PYTHON_GENERATOR_DIR, with_pip=True)
    except (OSError, subprocess.CalledProcessError) as error:
        return None, f"cannot make a virtual environment for {PYTHON_GENERATOR}: {error}"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           PYTHON_GENERATOR], capture_output=True, text=True)
    if done.returncode != 0:
        return None, _failed(PYTHON_GENERATOR, done)
    marker.write_text(PYTHON_GENERATOR)
    return python, ""


def _typescript_generator() -> tuple[Path | None, str]:
    bin_dir = TYPESCRIPT_DIR / "node_modules" / ".bin"
    marker = TYPESCRIPT_DIR / "installed"
    wanted = " ".join(TYPESCRIPT_PACKAGES)
    if not shutil.which("node"):
        return None, "node is not installed: the TypeScript check needs Node.js and npm (apt-get install nodejs npm)"
    if _installed(marker, wanted):
        return bin_dir, ""
    if not shutil.which("npm"):
        return None, "npm is not installed: the TypeScript check needs it to install openapi-typescript (apt-get install npm)"
    TYPESCRIPT_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--prefix", str(TYPESCRIPT_DIR), "--no-audit", "--no-fund",
                           "--loglevel=error", *TYPESCRIPT_PACKAGES], capture_output=True, text=True)
    if done.returncode != 0:
        return None, _failed(wanted, done)
    marker.write_text(wanted)
    return bin_dir, ""


def main() -> int:
    """Install both; a missing npm is reported, not an error (the TypeScript check then skips)."""
    python, why = python_generator()
    print(f"openapi-python-client: {python or why}")
    if python is None:
        return 1
    typescript, why = typescript_generator()
    print(f"openapi-typescript: {typescript or why}")
    return 0 if typescript is not None or not shutil.which("npm") else 1


if __name__ == "__main__":
    sys.exit(main())
