"""The test matrix: the whole suite on every supported interpreter (``make test-all``).

Interpreters are found on ``PATH`` as ``python3.X``, then in pyenv's versions folder, so the
matrix runs on a machine where pyenv's shims do not expose them. A missing interpreter is an
error, never a skip: ``.ci/run`` relies on that.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [f"tests-{v}" for v in SUPPORTED]


def interpreter(version: str) -> str:
    """The path of a working ``python{version}``; the bare name when none is found (nox then fails)."""
    candidates = [shutil.which(f"python{version}") or ""]
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}")),
                         reverse=True)
    for path in candidates:
        if path and subprocess.run([path, "-c", "import sys"], capture_output=True).returncode == 0:
            return path
    return f"python{version}"


def _tests(session: nox.Session) -> None:
    """The whole suite on one interpreter; extra arguments go to pytest."""
    session.install("-e", ".[dev,otlp,servers]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(name="lowest", python=interpreter(SUPPORTED[0]))
def lowest(session: nox.Session) -> None:
    """The suite with the lowest version of every dependency that pyproject.toml allows.

    uv's ``lowest-direct`` resolution installs each declared floor itself (dependencies, extras),
    on the oldest supported Python: the floors we declare are the ones we test.
    """
    session.install("uv>=0.5")
    session.run("uv", "pip", "install", "--python", session.virtualenv.location + "/bin/python",
                "--resolution", "lowest-direct", "--reinstall", "-e", ".[dev,otlp,servers]")
    session.run("python", "-m", "pytest", *session.posargs)


for _version in SUPPORTED:
    # One session a version, named tests-3.X, whatever path the interpreter has here.
    nox.session(name=f"tests-{_version}", python=interpreter(_version))(_tests)
