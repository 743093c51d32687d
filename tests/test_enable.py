"""enable / disable: a .pth file starts the hook in every interpreter of a virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssot_runtime.cli import app
from ssot_runtime.cli import enable as _enable

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent

# Prints what the hook did in the child, as JSON on the last line of stdout.
PROBE = """
import json, sys
try:
    import oldpkg.legacy
    value = oldpkg.legacy.work()
except ModuleNotFoundError as exc:
    value = repr(exc)
hook = sys.modules["ssot_runtime"].active_hook() if "ssot_runtime" in sys.modules else None
print(json.dumps({
    "value": value,
    "imported": "ssot_runtime" in sys.modules,
    "finders": sum(type(f).__name__ == "RedirectFinder" for f in sys.meta_path),
    "uses": [[r.legacy, r.symbol, r.count] for r in hook.snapshot()] if hook else None,
}))
"""


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A throwaway venv in which ssot_runtime and its dependencies import, but is not enabled."""
    path = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    (site,) = path.glob("lib/python*/site-packages")
    # Path lines only: ssot_runtime's source and this environment's dependencies (no code runs).
    (site / "_ssot_test_paths.pth").write_text(f"{ROOT / 'src'}\n{sysconfig.get_paths()['purelib']}\n")
    return path


def site_of(venv: Path) -> Path:
    (site,) = venv.glob("lib/python*/site-packages")
    return site


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "newpkg").mkdir(parents=True)
    (root / "newpkg" / "__init__.py").write_text("")
    (root / "newpkg" / "canonical.py").write_text("def work():\n    return 1\n")
    (root / "ssot-runtime.toml").write_text('[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    return root


def run_python(venv: Path, project: Path, code: str = PROBE, *, env: dict[str, str] | None = None,
               pythonpath: list[str] = ()) -> subprocess.CompletedProcess[str]:  # type: ignore[assignment]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SSOT_RUNTIME_", "PYTHON"))}
    environ["PYTHONPATH"] = os.pathsep.join([str(project), *pythonpath])
    environ.update(env or {})
    python = venv / "bin" / "python"
    return subprocess.run([str(python), "-c", code], cwd=project, env=environ, capture_output=True, text=True,
                          timeout=120)


def probe(venv: Path, project: Path, **kwargs: Any) -> dict[str, Any]:
    result = run_python(venv, project, **kwargs)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    data["stderr"] = result.stderr
    return data


def hooked(project: Path) -> dict[str, str]:
    return {"SSOT_RUNTIME_CONFIG": str(project / "ssot-runtime.toml"),
            "SSOT_RUNTIME_OUTPUT": str(project / "out")}


def test_enable_starts_the_hook_where_the_environment_asks_for_it(venv: Path, project: Path) -> None:
    # Not enabled yet: the variable alone does nothing in this venv.
    assert probe(venv, project, env=hooked(project))["finders"] == 0
    result = invoke("enable", "--venv", str(venv))
    assert result.exit_code == 0, result.output
    pth = site_of(venv) / "ssot_runtime_startup.pth"
    assert f"enabled: {pth}" in result.stdout
    text = pth.read_text()
    assert text.count("\n") == 1 and text.startswith("import ") and "process_startup()" in text
    assert not list(site_of(venv).glob("sitecustomize*")) and not list(venv.rglob("sitecustomize.py"))

    data = probe(venv, project, env=hooked(project))
    assert data["value"] == 1 and data["finders"] == 1
    assert data["uses"] == [["oldpkg.legacy", None, 1], ["oldpkg.legacy", "work", 1]]
    assert data["stderr"] == ""
    # Its telemetry leaves the process like any other's.
    report = invoke("report", str(project / "out"), "--format", "json")
    assert json.loads(report.stdout)["totals"]["uses"] == 2
    assert probe(venv, project, env={"SSOT_RUNTIME_ENABLED": "1"})["finders"] == 1  # config found in cwd

    # Without the variables nothing happens, and ssot_runtime is not even imported.
    plain = probe(venv, project)
    assert plain == {"value": "ModuleNotFoundError(\"No module named 'oldpkg'\")", "imported": False,
                     "finders": 0, "uses": None, "stderr": ""}
    assert probe(venv, project, env={"SSOT_RUNTIME_ENABLED": "0"})["imported"] is False


def test_disable_removes_the_file_and_the_hook_no_longer_starts(venv: Path, project: Path) -> None:
    assert invoke("enable", "--venv", str(venv)).exit_code == 0
    pth = site_of(venv) / "ssot_runtime_startup.pth"
    result = invoke("disable", "--venv", str(venv))
    assert result.exit_code == 0 and f"disabled: removed {pth}" in result.stdout
    assert not pth.exists()
    data = probe(venv, project, env=hooked(project))
    assert data["finders"] == 0 and data["imported"] is False and "No module named 'oldpkg'" in data["value"]
    again = invoke("disable", "--venv", str(venv))
    assert again.exit_code == 0 and f"not enabled: no {pth}" in again.stdout
    assert sorted(p.name for p in site_of(venv).iterdir()) == ["_ssot_test_paths.pth"]


def test_enable_twice_is_one_file_and_one_finder(venv: Path, project: Path) -> None:
    assert invoke("enable", "--venv", str(venv)).exit_code == 0
    result = invoke("enable", "--venv", str(venv))
    assert result.exit_code == 0 and "already enabled" in result.stdout
    site = site_of(venv)
    assert [p.name for p in site.glob("*.pth") if "process_startup" in p.read_text()] == [
        "ssot_runtime_startup.pth"]
    assert not list(site.glob("*.tmp")) and not list(site.glob(".*.tmp"))
    # The site-packages folder twice on sys.path, and its .pth files run a second time.
    again = f"import site; site.addsitedir({str(site)!r})\n" + PROBE
    data = probe(venv, project, code=again, env=hooked(project), pythonpath=[str(site)])
    assert data["finders"] == 1 and data["uses"] == [["oldpkg.legacy", None, 1], ["oldpkg.legacy", "work", 1]]
    # The start-up itself runs once: a bad configuration is reported once, not once per run of the file.
    (project / "bad.toml").write_text("bogus = 1\n")
    bad = probe(venv, project, code=again, env={"SSOT_RUNTIME_CONFIG": str(project / "bad.toml")},
                pythonpath=[str(site)])
    assert bad["finders"] == 0 and bad["stderr"].count("ssot-runtime: not enabled") == 1, bad["stderr"]


def test_a_missing_or_broken_install_never_stops_the_interpreter(tmp_path: Path, project: Path) -> None:
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    result = invoke("enable", "--venv", str(bare))
    assert result.exit_code == 0 and "does not seem installed" in result.stderr
    # Not importable there: silent.
    data = probe(bare, project, env=hooked(project))
    assert data["imported"] is False and data["stderr"] == ""
    # Importable but broken: one line, and the program runs.
    broken = tmp_path / "broken"
    (broken / "ssot_runtime").mkdir(parents=True)
    (broken / "ssot_runtime" / "__init__.py").write_text("raise RuntimeError('half-installed')\n")
    result = run_python(bare, project, "print('ran')", env=hooked(project), pythonpath=[str(broken)])
    assert result.returncode == 0 and result.stdout == "ran\n"
    assert result.stderr == "ssot-runtime: not enabled: RuntimeError: half-installed\n"


def test_a_bad_config_is_one_line_unless_it_asks_for_strict(venv: Path, project: Path) -> None:
    assert invoke("enable", "--venv", str(venv)).exit_code == 0
    (project / "bad.toml").write_text("bogus = 1\n")
    result = run_python(venv, project, "print('ran')", env={"SSOT_RUNTIME_CONFIG": str(project / "bad.toml")})
    assert result.returncode == 0 and result.stdout == "ran\n"
    assert result.stderr.startswith("ssot-runtime: not enabled:") and "bogus" in result.stderr
    (project / "strict.toml").write_text("strict = true\nbogus = 1\n")
    strict = run_python(venv, project, "print('ran')", env={"SSOT_RUNTIME_CONFIG": str(project / "strict.toml")})
    assert strict.returncode == 1 and strict.stdout == "" and "ConfigError" in strict.stderr


def test_the_default_environment_is_this_interpreters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _enable.site_packages() == Path(sysconfig.get_paths()["purelib"])
    target = tmp_path / "site-packages"
    target.mkdir()
    real = sysconfig.get_paths
    monkeypatch.setattr(sysconfig, "get_paths", lambda *a, **k: {**real(*a, **k), "purelib": str(target)})
    result = invoke("enable")
    assert result.exit_code == 0 and f"enabled: {target / 'ssot_runtime_startup.pth'}" in result.stdout
    assert (target / "ssot_runtime_startup.pth").read_text() == _enable.pth_line()
    assert "does not seem installed" not in result.stderr
    assert invoke("disable").exit_code == 0 and not list(target.iterdir())


def test_bad_environments_are_usage_errors(tmp_path: Path) -> None:
    missing = invoke("enable", "--venv", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and "no such folder" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("disable", "--venv", str(empty))
    assert result.exit_code == 2 and "not a virtual environment" in result.stderr and "Traceback" not in result.stderr
    # Two interpreters' folders: pyvenv.cfg says which.
    two = tmp_path / "two"
    for version in ("3.10", "3.11"):
        (two / "lib" / f"python{version}" / "site-packages").mkdir(parents=True)
    with pytest.raises(_enable.EnableError, match="several site-packages"):
        _enable.site_packages(two)
    (two / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    assert _enable.site_packages(two) == two / "lib" / "python3.11" / "site-packages"
