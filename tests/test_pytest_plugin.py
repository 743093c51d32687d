"""The pytest plugin: ``pytest --ssot-runtime``, the phase split, the summary and ``--ssot-strict``.

Every session runs in a subprocess (``runpytest_subprocess``): the hook is process-global.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ssot_runtime.cli import app

pytest_plugins = ["pytester"]

TEST_MODULE = """\
import oldpkg.legacy


def test_work():
    for _ in range(3):
        assert oldpkg.legacy.work() == 1


def test_value():
    assert oldpkg.legacy.VALUE == 1
"""


@pytest.fixture
def project(pytester: pytest.Pytester, telemetry_output: Path) -> pytest.Pytester:
    """A canonical module, a legacy name for it in the config, and tests that use the legacy name."""
    pytester.makepyfile(**{
        "newpkg/__init__": "",
        "newpkg/canonical": "VALUE = 1\n\ndef work():\n    return 1\n",
        "test_uses": TEST_MODULE,
    })
    pytester.makefile(".toml", **{"ssot-runtime": '[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n'})
    return pytester


def phases(output: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((output / "pytest-phases.json").read_text())
    return data


def test_the_session_is_hooked_and_the_phases_are_told_apart(project: pytest.Pytester,
                                                             telemetry_output: Path) -> None:
    result = project.runpytest_subprocess("--ssot-runtime")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*= ssot-runtime =*",
        "1 legacy path, 3 sites, 5 uses (collection: 1 use at 1 site; tests: 4 uses at 2 sites)",
        "top sites (3 of 3):",
        "  test_uses.py:6  oldpkg.legacy:work in test_uses.test_work: 3 uses (collection 0, tests 3)",
        "  test_uses.py:1  oldpkg.legacy in test_uses.<module>: 1 use (collection 1, tests 0)",
        "  test_uses.py:10  oldpkg.legacy:VALUE in test_uses.test_value: 1 use (collection 0, tests 1)",
        f"traces in {telemetry_output}",
        f"phases in {telemetry_output / 'pytest-phases.json'}",
    ])
    doc = phases(telemetry_output)
    assert doc["schema"] == "ssot-runtime/pytest-phases/v1" and doc["exitstatus"] == 0
    assert doc["rootdir"] == str(project.path) and doc["strict"] is None
    assert doc["totals"] == {"collection": {"uses": 1, "sites": 1}, "tests": {"uses": 4, "sites": 2},
                             "session": {"legacy_paths": 1, "sites": 3, "uses": 5}}
    test_file = str(project.path / "test_uses.py")
    assert [(s["file"], s["line"], s["symbol"], s["collection"], s["tests"], s["uses"]) for s in doc["sites"]] == [
        (test_file, 6, "work", 0, 3, 3), (test_file, 1, None, 1, 0, 1), (test_file, 10, "VALUE", 0, 1, 1)]
    assert doc["sites"][0]["canonical"] == "newpkg.canonical" and doc["sites"][0]["function"] == "test_uses.test_work"
    # The traces are those of `ssot-runtime run`, and the phases file does not disturb `report`.
    report = CliRunner().invoke(app, ["report", str(telemetry_output), "--format", "json", "--strict"])
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["totals"] == {"legacy_paths": 1, "sites": 3, "uses": 5}
    assert "skipped" not in report.stderr


def test_conftest_imports_are_seen_and_the_config_can_be_named(project: pytest.Pytester,
                                                               telemetry_output: Path) -> None:
    project.makeconftest("from oldpkg.legacy import work\n")
    config = project.path / "ssot-runtime.toml"
    config.rename(project.path / "legacy-map.toml")
    result = project.runpytest_subprocess("--ssot-runtime=legacy-map.toml", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*(collection: 2 uses at 2 sites; tests: 4 uses at 2 sites)",
                                 "  conftest.py:1  oldpkg.legacy:work in conftest.<module>: 1 use *"])
    sites = {(Path(s["file"]).name, s["line"]): (s["collection"], s["tests"])
             for s in phases(telemetry_output)["sites"]}
    assert sites[("conftest.py", 1)] == (1, 0)


def test_without_the_option_the_plugin_does_nothing(project: pytest.Pytester, telemetry_output: Path) -> None:
    result = project.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ModuleNotFoundError: No module named 'oldpkg'*"])
    assert "= ssot-runtime =" not in result.stdout.str()
    assert not list(telemetry_output.iterdir())
    # Not even imported: a test that looks.
    project.makepyfile(test_uses="""
        import sys

        def test_nothing_loaded():
            assert not any(type(f).__name__ == "RedirectFinder" for f in sys.meta_path)
            assert "ssot_runtime.analysis.report" not in sys.modules
            assert "ssot_runtime.telemetry.providers" not in sys.modules
    """)
    assert project.runpytest_subprocess().ret == 0


def test_the_plugin_module_imports_nothing_heavy() -> None:
    code = ("import sys, pytest; before = set(sys.modules); import ssot_runtime.pytest_plugin; "
            "import json; print(json.dumps(sorted(set(sys.modules) - before)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = json.loads(result.stdout)
    assert "ssot_runtime.pytest_plugin" in loaded
    # The package's start-up modules only (as light as a sitecustomize needs them): no third party,
    # no report, check, telemetry or CLI.
    assert all(name.split(".")[0] == "ssot_runtime" for name in loaded), loaded
    assert not {"ssot_runtime.analysis.report", "ssot_runtime.analysis.check", "ssot_runtime.telemetry.providers",
                "ssot_runtime.traces.read", "ssot_runtime.cli"} & set(loaded)


def test_strict_without_a_baseline_fails_on_any_use(project: pytest.Pytester, telemetry_output: Path) -> None:
    result = project.runpytest_subprocess("--ssot-strict", "--ssot-runtime")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=2)  # the tests passed: the legacy uses fail the session
    result.stdout.fnmatch_lines([
        "3 sites (* uses) beyond the baseline (no baseline: nothing is allowed); strict: session failed:",
        "  test_uses.py:6: new legacy path: oldpkg.legacy (work) in test_uses.test_work, 3 uses; use newpkg.canonical",
    ])
    doc = phases(telemetry_output)
    assert doc["exitstatus"] == 1 and doc["strict"]["ok"] is False and len(doc["strict"]["offending"]) == 3
    # No use at all: strict passes.
    project.makepyfile(test_uses="def test_clean():\n    import newpkg.canonical\n")
    clean = project.runpytest_subprocess("--ssot-strict", "--ssot-runtime")
    assert clean.ret == 0, clean.stdout.str()
    clean.stdout.fnmatch_lines(["no legacy uses", "legacy uses within the baseline (no baseline: nothing is allowed)"])


def test_strict_with_a_baseline(project: pytest.Pytester, telemetry_output: Path) -> None:
    written = project.runpytest_subprocess("--ssot-runtime", "--ssot-write-baseline=baseline.json")
    assert written.ret == 0, written.stdout.str()
    written.stdout.fnmatch_lines(["baseline written to baseline.json (site keys relative to *)"])
    baseline = json.loads((project.path / "baseline.json").read_text())
    assert baseline["legacy_paths"]["oldpkg.legacy"]["sites"] == [
        "test_uses.py::test_uses.<module>::", "test_uses.py::test_uses.test_value::VALUE",
        "test_uses.py::test_uses.test_work::work"]

    allowed = project.runpytest_subprocess("--ssot-strict", "--ssot-baseline", "baseline.json", "--ssot-runtime")
    assert allowed.ret == 0, allowed.stdout.str()
    allowed.stdout.fnmatch_lines(["legacy uses within the baseline (baseline baseline.json)"])

    # A site the baseline does not list fails the session.
    baseline["legacy_paths"]["oldpkg.legacy"]["sites"].remove("test_uses.py::test_uses.test_value::VALUE")
    (project.path / "baseline.json").write_text(json.dumps(baseline))
    missing = project.runpytest_subprocess("--ssot-strict", "--ssot-baseline", "baseline.json", "--ssot-runtime")
    assert missing.ret == pytest.ExitCode.TESTS_FAILED
    missing.stdout.fnmatch_lines([
        "1 site (* use*) beyond the baseline (baseline baseline.json); strict: session failed:",
        "  test_uses.py:10: new site: oldpkg.legacy (VALUE) in test_uses.test_value, 1 use; use newpkg.canonical"])
    # The same without --ssot-strict: reported, not failing.
    report_only = project.runpytest_subprocess("--ssot-baseline", "baseline.json", "--ssot-runtime")
    assert report_only.ret == 0
    report_only.stdout.fnmatch_lines(["1 site (* use*) beyond the baseline (baseline baseline.json); not failing*"])

    # Baselines written by `ssot-runtime check` without --root hold absolute paths: they match too.
    absolute = {"schema": "ssot-runtime/baseline/v1", "legacy_paths": {"oldpkg.legacy": {"uses": 5, "sites": [
        f"{project.path / 'test_uses.py'}::test_uses.{name}" for name in
        ("<module>::", "test_value::VALUE", "test_work::work")]}}}
    (project.path / "absolute.json").write_text(json.dumps(absolute))
    assert project.runpytest_subprocess("--ssot-strict", "--ssot-baseline=absolute.json", "--ssot-runtime").ret == 0
    # A failing test keeps its own exit status.
    project.makepyfile(test_fails="def test_fails():\n    assert False\n")
    assert project.runpytest_subprocess("--ssot-strict", "--ssot-runtime").ret == pytest.ExitCode.TESTS_FAILED


def test_usage_errors(project: pytest.Pytester) -> None:
    alone = project.runpytest_subprocess("--ssot-strict")
    assert alone.ret == pytest.ExitCode.USAGE_ERROR
    alone.stderr.fnmatch_lines(["*--ssot-strict, --ssot-baseline and --ssot-write-baseline need --ssot-runtime*"])
    swallowed = project.runpytest_subprocess("--ssot-runtime", "test_uses.py")
    assert swallowed.ret == pytest.ExitCode.USAGE_ERROR
    swallowed.stderr.fnmatch_lines(["*--ssot-runtime took 'test_uses.py' as its configuration file*"])
    bad = project.runpytest_subprocess("--ssot-runtime=nope.toml")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--ssot-runtime: nope.toml: cannot read*"])
    (project.path / "bad.json").write_text("{}")
    no_baseline = project.runpytest_subprocess("--ssot-runtime", "--ssot-baseline=bad.json")
    assert no_baseline.ret == pytest.ExitCode.USAGE_ERROR
    no_baseline.stderr.fnmatch_lines(["*--ssot-baseline: bad.json: not a baseline*"])


def run_pytest_under_cli(project: pytest.Pytester, output: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``ssot-runtime run --output OUTPUT -- python -m pytest ARGS``: the hook starts before pytest does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSOT_RUNTIME_")}
    env["PYTHONPATH"] = str(project.path)
    cli = str(Path(sys.executable).parent / "ssot-runtime")
    return subprocess.run([cli, "run", "--output", str(output), "--", sys.executable, "-m", "pytest",
                           "-p", "no:cacheprovider", *args], cwd=project.path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_hook_already_running_in_the_process_is_reused(project: pytest.Pytester, tmp_path: Path) -> None:
    """``ssot-runtime run -- pytest --ssot-runtime``: one finder, and the run's output folder."""
    project.makepyfile(test_finders="""
        import sys

        def test_one_finder():
            assert sum(type(f).__name__ == "RedirectFinder" for f in sys.meta_path) == 1
    """)
    output = tmp_path / "run-output"
    result = run_pytest_under_cli(project, output, "--ssot-runtime")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 legacy path, 3 sites, 5 uses (collection: 1 use at 1 site; tests: 4 uses at 2 sites)" \
        in result.stdout
    assert phases(output)["totals"]["session"]["uses"] == 5


def test_pytest_under_run_does_not_warn_about_rewriting(project: pytest.Pytester, tmp_path: Path) -> None:
    result = run_pytest_under_cli(project, tmp_path / "out", "-W", "error::pytest.PytestAssertRewriteWarning")
    assert result.returncode == 0, result.stdout + result.stderr


def test_collect_only_has_no_test_phase(project: pytest.Pytester, telemetry_output: Path) -> None:
    result = project.runpytest_subprocess("--collect-only", "-q", "--ssot-runtime")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["1 legacy path, 1 site, 1 use (collection: 1 use at 1 site; "
                                 "tests: 0 uses at 0 sites)"])


def test_disabled_by_the_environment(project: pytest.Pytester, telemetry_output: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSOT_RUNTIME_DISABLED", "1")
    result = project.runpytest_subprocess("--ssot-runtime")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # the legacy import fails as without the plugin
    result.stdout.fnmatch_lines(["hook not installed: SSOT_RUNTIME_DISABLED is set*", "no legacy uses"])


def test_under_xdist_the_summary_counts_every_worker_and_workers_keep_the_service_name(
        project: pytest.Pytester, telemetry_output: Path) -> None:
    pytest.importorskip("xdist")
    for n in range(4):  # four modules of two tests: 4 uses each, wherever they run
        project.makepyfile(**{f"test_more_{n}": TEST_MODULE})
    project.makeconftest("import oldpkg.legacy  # one use in the controller and one in each worker\n")
    result = project.runpytest_subprocess("--ssot-runtime", "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=10)
    # Collection: the conftest in the controller and both workers (3), and each of the 5 modules
    # in both workers, which each collect every test (10). Tests: 5 modules x (3 work + 1 VALUE).
    result.stdout.fnmatch_lines(["1 legacy path, 16 sites, 33 uses (collection: 13 uses at 6 sites; "
                                 "tests: 20 uses at 10 sites)"])
    from ssot_runtime.traces import read as _traces

    agg = _traces.read([str(telemetry_output)])
    assert sum(site.uses for site in agg.sites.values()) == 33
    assert set().union(*(site.services for site in agg.sites.values())) == {"pytest"}
    assert len(set().union(*(site.processes for site in agg.sites.values()))) == 3


def test_the_plugin_and_check_key_sites_to_the_same_root(pytester: pytest.Pytester, telemetry_output: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The rootdir (a pytest.ini above) is not the project root: both use the config file's folder."""
    pytester.makeini("[pytest]\n")
    proj = pytester.path / "proj"
    (proj / "newpkg").mkdir(parents=True)
    (proj / "newpkg" / "__init__.py").write_text("")
    (proj / "newpkg" / "canonical.py").write_text("VALUE = 1\n\ndef work():\n    return 1\n")
    (proj / "test_uses.py").write_text(TEST_MODULE)
    (proj / "ssot-runtime.toml").write_text('[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    monkeypatch.chdir(proj)
    result = pytester.runpytest_subprocess("--ssot-runtime", "--ssot-write-baseline=baseline.json",
                                           "--rootdir", str(pytester.path))
    assert result.ret == 0, result.stdout.str()
    written = json.loads((proj / "baseline.json").read_text())
    assert written["legacy_paths"]["oldpkg.legacy"]["sites"] == [
        "test_uses.py::test_uses.<module>::", "test_uses.py::test_uses.test_value::VALUE",
        "test_uses.py::test_uses.test_work::work"]
    checked = CliRunner().invoke(app, ["check", str(telemetry_output), "--baseline", str(proj / "baseline.json")])
    assert checked.exit_code == 0, checked.output
    assert f"site keys relative to {proj}" in checked.stdout and "gone" not in checked.stdout


def test_a_session_without_legacy_uses_leaves_evidence_for_check(pytester: pytest.Pytester,
                                                                 telemetry_output: Path) -> None:
    pytester.makepyfile(test_clean="def test_nothing():\n    assert True\n")
    pytester.makefile(".toml", **{"ssot-runtime": '[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n'})
    result = pytester.runpytest_subprocess("--ssot-runtime")
    assert result.ret == 0, result.stdout.str()
    checked = CliRunner().invoke(app, ["check", str(telemetry_output)])
    assert checked.exit_code == 0, checked.output
    assert "check passed: 0 legacy uses in 1 process, " in checked.stdout
