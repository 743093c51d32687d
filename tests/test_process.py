"""Process-global behaviour, in real Python processes: start-up from sitecustomize, the env gate,
bad configurations, ``python -m`` of a legacy name, warnings as a user sees them.

Every test writes a small project under ``tmp_path`` and runs the virtualenv's Python on it, with
``sitecustomize_example/`` first on ``PYTHONPATH`` as staging does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITECUSTOMIZE_DIR = ROOT / "sitecustomize_example"
TIMEOUT = 30

CONFIG = """\
[redirects]
"oldpkg.legacy" = "newpkg.canonical"
"oldpkg.legacy_main" = "newpkg.main_mod"
"oldpkg.sub.*" = "newpkg.sub.*"
"""

PROJECT = {
    # The old package still exists; the modules the rules name were moved out of it.
    "oldpkg/__init__.py": "",
    "newpkg/__init__.py": "",
    "newpkg/canonical.py": """
        class Thing:
            pass

        def func():
            return "func"
    """,
    "newpkg/sub/__init__.py": "",
    "newpkg/sub/leaf.py": "LEAF = 'leaf'\n",
    "newpkg/main_mod.py": """
        def main():
            print("ran main")

        if __name__ == "__main__":
            main()
    """,
}

# Appended to scripts: print the active hook's records as [legacy, symbol, file name, line, count].
DUMP = """
import json as _json, os as _os, ssot_runtime as _ssot
_hook = _ssot.active_hook()
print(_json.dumps(None if _hook is None else [
    [r.legacy, r.symbol, _os.path.basename(r.file), r.line, r.count] for r in _hook.snapshot()
]))
"""

# A script that shows whether the hook is there and what a legacy import does without it.
PROBE = """
import json, sys
import ssot_runtime
try:
    import oldpkg.legacy
    outcome = "imported"
except ModuleNotFoundError as exc:
    outcome = f"ModuleNotFoundError {exc.name}"
print(json.dumps([ssot_runtime.active_hook() is None, outcome, sys.modules["sitecustomize"].__file__]))
"""


def make_project(tmp_path: Path, files: dict[str, str] | None = None, config: str | None = CONFIG) -> Path:
    """Write the canonical package, the old package and ``ssot.toml`` (plus ``files``)."""
    project = tmp_path / "project"
    for rel, text in {**PROJECT, **(files or {})}.items():
        write(project / rel, text)
    if config is not None:
        (project / "ssot.toml").write_text(config)
    return project


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def run_python(cwd: Path, *args: str, env: dict[str, str] | None = None,
               pythonpath: tuple[Path, ...] = (SITECUSTOMIZE_DIR,)) -> subprocess.CompletedProcess[str]:
    """Run the venv's Python in ``cwd``: os.environ without ssot-runtime's variables, plus ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SSOT_RUNTIME_")}
    for name in ("PYTHONPATH", "PYTHONWARNINGS", "PYTHONSTARTUP", "PYTHONDEVMODE", "PYTHONSAFEPATH"):
        environ.pop(name, None)
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    environ["PYTHONIOENCODING"] = "utf-8"
    if pythonpath:
        environ["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    environ.update(env or {})
    return subprocess.run([sys.executable, *args], cwd=cwd, env=environ, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


def run_script(project: Path, source: str, *, name: str = "app.py", env: dict[str, str] | None = None,
               pythonpath: tuple[Path, ...] = (SITECUSTOMIZE_DIR,),
               options: tuple[str, ...] = (), dump: bool = False) -> subprocess.CompletedProcess[str]:
    """Write ``source`` (plus DUMP if ``dump``) as a script in the project and run it."""
    script = write(project / name, textwrap.dedent(source) + (DUMP if dump else ""))
    return run_python(project, *options, str(script), env=env, pythonpath=pythonpath)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def last_json(result: subprocess.CompletedProcess[str]) -> object:
    lines = result.stdout.strip().splitlines()
    assert lines, f"no output; stderr:\n{result.stderr}"
    return json.loads(lines[-1])


def records(result: subprocess.CompletedProcess[str]) -> list[list[object]]:
    """The records DUMP printed, in a stable order."""
    dumped = last_json(result)
    assert isinstance(dumped, list), dumped
    return sorted(dumped, key=json.dumps)


def line_of(path: Path, text: str) -> int:
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{text!r} is on lines {lines} of {path}"
    return lines[0]


def config_env(project: Path, **more: str) -> dict[str, str]:
    return {"SSOT_RUNTIME_CONFIG": str(project / "ssot.toml"), **more}


# -- 1. started from sitecustomize: the redirect works and the records are exact ----------------


def test_sitecustomize_starts_the_hook_and_records_exact_lines_and_counts(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = ok(run_script(project, """
        import sys
        import newpkg.canonical

        for _ in range(5):
            import oldpkg.legacy  # loop
        from oldpkg.legacy import Thing  # from
        import oldpkg.sub.leaf  # prefix

        assert Thing is newpkg.canonical.Thing
        assert oldpkg.legacy.func() == "func"  # attribute
        assert oldpkg.sub.leaf.LEAF == "leaf"  # leaf read
        print(sys.modules["sitecustomize"].__file__)
    """, dump=True, env=config_env(project)))
    app = project / "app.py"
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == str(SITECUSTOMIZE_DIR / "sitecustomize.py")
    assert records(result) == sorted([
        ["oldpkg.legacy", None, "app.py", line_of(app, "# loop"), 5],
        ["oldpkg.legacy", "Thing", "app.py", line_of(app, "# from"), 1],
        ["oldpkg.legacy", "func", "app.py", line_of(app, "# attribute"), 1],
        ["oldpkg.sub.leaf", None, "app.py", line_of(app, "# prefix"), 1],
        ["oldpkg.sub.leaf", "LEAF", "app.py", line_of(app, "# leaf read"), 1],
    ], key=json.dumps)


# -- 2, 3, 9. the environment gate -------------------------------------------------------------


def test_without_the_environment_there_is_no_hook(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = ok(run_script(project, PROBE))
    assert result.stderr == ""
    assert last_json(result) == [True, "ModuleNotFoundError oldpkg.legacy",
                                 str(SITECUSTOMIZE_DIR / "sitecustomize.py")]


def test_the_legacy_import_fails_as_it_would_without_the_tool(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    with_tool = run_script(project, "import oldpkg.legacy\n")
    without = run_script(project, "import oldpkg.legacy\n", pythonpath=())
    assert with_tool.returncode == without.returncode == 1
    assert with_tool.stderr == without.stderr
    assert with_tool.stderr.splitlines()[-1] == "ModuleNotFoundError: No module named 'oldpkg.legacy'"


@pytest.mark.parametrize("value", ["1", "true"])
def test_enabled_finds_ssot_runtime_toml_in_the_working_directory(tmp_path: Path, value: str) -> None:
    project = make_project(tmp_path, config=None)
    (project / "ssot-runtime.toml").write_text(CONFIG)
    result = ok(run_script(project, """
        import ssot_runtime
        from oldpkg.legacy import func  # use
        print(ssot_runtime.active_hook().config.source)
    """, dump=True, env={"SSOT_RUNTIME_ENABLED": value}))
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == str(project / "ssot-runtime.toml")
    assert records(result) == [["oldpkg.legacy", "func", "app.py", line_of(project / "app.py", "# use"), 1]]


def test_enabled_finds_tool_ssot_runtime_in_the_nearest_pyproject(tmp_path: Path) -> None:
    project = make_project(tmp_path, config=None)
    (project / "pyproject.toml").write_text("[project]\nname = 'app'\n\n" + CONFIG.replace(
        "[redirects]", "[tool.ssot_runtime.redirects]"))
    work = project / "scripts"
    work.mkdir()
    script = write(work / "app.py", """
        import sys
        sys.path.insert(0, PROJECT_DIR)
        import ssot_runtime
        from oldpkg.legacy import func
        print(ssot_runtime.active_hook().config.source)
    """.replace("PROJECT_DIR", repr(str(project))))
    result = ok(run_python(work, str(script), env={"SSOT_RUNTIME_ENABLED": "1"}))
    assert result.stdout == f"{project / 'pyproject.toml'} [tool.ssot_runtime]\n"


@pytest.mark.parametrize("value", ["0", "", "no"])
def test_enabled_other_values_do_not_start_the_hook(tmp_path: Path, value: str) -> None:
    project = make_project(tmp_path, config=None)
    (project / "ssot-runtime.toml").write_text(CONFIG)
    result = ok(run_script(project, PROBE, env={"SSOT_RUNTIME_ENABLED": value}))
    assert last_json(result)[:2] == [True, "ModuleNotFoundError oldpkg.legacy"]  # type: ignore[index]


def test_disabled_wins_over_config(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = ok(run_script(project, PROBE, env=config_env(project, SSOT_RUNTIME_DISABLED="1")))
    assert result.stderr == ""
    assert last_json(result)[:2] == [True, "ModuleNotFoundError oldpkg.legacy"]  # type: ignore[index]


# -- 4. a bad configuration: one line on stderr, the application runs; strict stops it ---------

BAD_CONFIGS = {
    "unknown key": ('bogus = 1\n' + CONFIG, "bogus"),
    "invalid TOML": ('[redirects\n"oldpkg.legacy" = "newpkg.canonical"\n', "invalid TOML"),
    "bad rule": ('[redirects]\n"oldpkg.legacy" = "newpkg.*"\n', "prefix"),
    "bad mode": ('mode = "loud"\n' + CONFIG, "mode"),
}

APP_RUNS = """
import ssot_runtime
print("app ran", ssot_runtime.active_hook())
"""


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_one_line_on_stderr_and_the_app_runs(tmp_path: Path, case: str) -> None:
    text, detail = BAD_CONFIGS[case]
    project = make_project(tmp_path, config=text)
    result = ok(run_script(project, APP_RUNS, env=config_env(project)))
    assert result.stdout == "app ran None\n"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ssot-runtime: not enabled:")
    assert str(project / "ssot.toml") in lines[0] and detail in lines[0]


def test_missing_config_file_is_one_line_on_stderr(tmp_path: Path) -> None:
    project = make_project(tmp_path, config=None)
    missing = project / "nowhere.toml"
    result = ok(run_script(project, APP_RUNS, env={"SSOT_RUNTIME_CONFIG": str(missing)}))
    assert result.stdout == "app ran None\n"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ssot-runtime: not enabled:") and str(missing) in lines[0]


def test_bad_mode_in_the_environment_is_one_line_on_stderr(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = ok(run_script(project, APP_RUNS, env=config_env(project, SSOT_RUNTIME_MODE="loud")))
    assert result.stdout == "app ran None\n"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ssot-runtime: not enabled:") and "SSOT_RUNTIME_MODE" in lines[0]


def test_strict_config_error_stops_the_process(tmp_path: Path) -> None:
    project = make_project(tmp_path, config="strict = true\nbogus = 1\n" + CONFIG)
    result = run_script(project, APP_RUNS, env=config_env(project))
    assert result.returncode != 0
    assert "app ran" not in result.stdout
    assert "ConfigError" in result.stderr and "bogus" in result.stderr
    assert str(project / "ssot.toml") in result.stderr
    assert "ssot-runtime: not enabled" not in result.stderr


def test_strict_config_error_propagates_from_process_startup(tmp_path: Path) -> None:
    """Called from the application itself (no sitecustomize), the ConfigError is an ordinary exception."""
    project = make_project(tmp_path, config="strict = true\nbogus = 1\n" + CONFIG)
    result = run_script(project, """
        import ssot_runtime
        ssot_runtime.process_startup()
        print("app ran")
    """, env=config_env(project), pythonpath=())
    assert result.returncode == 1
    assert "app ran" not in result.stdout
    assert result.stderr.splitlines()[-1].startswith("ssot_runtime.errors.ConfigError: ")


# -- 5. start-up is light -----------------------------------------------------------------------

HEAVY = ("opentelemetry", "structlog", "wrapt", "typer")


@pytest.mark.parametrize("mode", ["redirect", "warn", "observe"])
def test_startup_starts_no_thread_and_imports_no_heavy_dependency(tmp_path: Path, mode: str) -> None:
    project = make_project(tmp_path)
    result = ok(run_script(project, f"""
        import json, sys, threading
        import ssot_runtime
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        print(json.dumps([ssot_runtime.active_hook() is not None, threading.active_count(), heavy]))
    """, env=config_env(project, SSOT_RUNTIME_MODE=mode)))
    assert result.stderr == ""
    assert last_json(result) == [True, 1, []]


# -- 6. process_startup twice -------------------------------------------------------------------


def test_process_startup_twice_leaves_one_finder(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = ok(run_script(project, """
        import json, sys
        import ssot_runtime
        first = ssot_runtime.active_hook()
        again = ssot_runtime.process_startup()
        import oldpkg.legacy
        ours = [f for f in sys.meta_path if type(f).__name__ == "RedirectFinder"]
        print(json.dumps([first is not None, again is first, len(ours), sys.meta_path.index(ours[0]),
                          [r.count for r in first.snapshot()]]))
    """, env=config_env(project)))
    assert last_json(result) == [True, True, 1, 0, [1]]


# -- 7. sitecustomize chains to the user's own --------------------------------------------------

USER_SITECUSTOMIZE = """
import builtins, sys
builtins._user_sitecustomize_ran = __name__
print("user sitecustomize ran", file=sys.stderr)
"""


@pytest.mark.parametrize("enabled", [True, False])
def test_users_own_sitecustomize_still_runs(tmp_path: Path, enabled: bool) -> None:
    project = make_project(tmp_path)
    user_site = tmp_path / "user_site"
    write(user_site / "sitecustomize.py", USER_SITECUSTOMIZE)
    result = ok(run_script(project, """
        import builtins, json, sys
        import ssot_runtime
        print(json.dumps([ssot_runtime.active_hook() is not None,
                          getattr(builtins, "_user_sitecustomize_ran", None),
                          sys.modules["sitecustomize"].__file__]))
    """, env=config_env(project) if enabled else {}, pythonpath=(SITECUSTOMIZE_DIR, user_site)))
    assert result.stderr == "user sitecustomize ran\n"
    assert last_json(result) == [enabled, "sitecustomize", str(SITECUSTOMIZE_DIR / "sitecustomize.py")]


def test_users_sitecustomize_runs_after_the_hook_is_active(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    user_site = tmp_path / "user_site"
    write(user_site / "sitecustomize.py", """
        import sys
        sys.path.insert(0, PROJECT_DIR)  # the project: not on sys.path yet at site time
        import oldpkg.legacy
        print("user sitecustomize saw", oldpkg.legacy.Thing.__module__)
    """.replace("PROJECT_DIR", repr(str(project))))
    result = ok(run_script(project, "print('app ran')\n", env=config_env(project),
                           pythonpath=(SITECUSTOMIZE_DIR, user_site)))
    assert result.stderr == ""
    assert result.stdout == "user sitecustomize saw newpkg.canonical\napp ran\n"


def test_sitecustomize_never_raises_when_ssot_runtime_cannot_be_imported(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    broken = tmp_path / "broken"
    write(broken / "ssot_runtime/__init__.py", "raise ImportError('simulated: not installed')\n")
    user_site = tmp_path / "user_site"
    write(user_site / "sitecustomize.py", USER_SITECUSTOMIZE)
    result = ok(run_script(project, """
        import builtins, sys
        print("app ran", getattr(builtins, "_user_sitecustomize_ran", None), "ssot_runtime" in sys.modules)
    """, env=config_env(project), pythonpath=(SITECUSTOMIZE_DIR, broken, user_site)))
    # It says why the hook did not start (issue 12), and the application and its sitecustomize run.
    said, user = result.stderr.splitlines()
    assert said.startswith("ssot-runtime: the hook did not start in this process (") and \
        "cannot import ssot_runtime (simulated: not installed)" in said
    assert user == "user sitecustomize ran"
    assert result.stdout == "app ran sitecustomize False\n"


# -- 8. python -m of a legacy name ------------------------------------------------------------



@pytest.mark.parametrize("options", [
    (),
    pytest.param(("-X", "frozen_modules=off")),
], ids=["default", "frozen_modules=off"])
def test_dash_m_runs_the_canonical_module_as_main(tmp_path: Path, options: tuple[str, ...]) -> None:
    project = make_project(tmp_path)
    result = ok(run_python(project, *options, "-m", "oldpkg.legacy_main", env=config_env(project)))
    assert result.stdout == "ran main\n"
    assert result.stderr == ""


def test_dash_m_of_a_legacy_name_records_one_use(tmp_path: Path) -> None:
    project = make_project(tmp_path, files={"newpkg/main_mod.py": """
        import ssot_runtime
        if __name__ == "__main__":
            print("ran main")
            print([(r.legacy, r.file, r.count) for r in ssot_runtime.active_hook().snapshot()])
    """})
    result = ok(run_python(project, "-m", "oldpkg.legacy_main", env=config_env(project)))
    assert result.stdout == "ran main\n[('oldpkg.legacy_main', '<command line>', 1)]\n"


def test_dash_m_of_a_legacy_package_runs_its_dunder_main(tmp_path: Path) -> None:
    project = make_project(tmp_path, files={
        "newpkg/sub/__init__.py": "print('init of', __name__)\n",
        "newpkg/sub/__main__.py": "print('main of', __name__)\n",
    })
    canonical = ok(run_python(project, "-m", "newpkg.sub", env=config_env(project)))
    assert canonical.stdout == "init of newpkg.sub\nmain of __main__\n"
    legacy = ok(run_python(project, "-m", "oldpkg.sub", env=config_env(project)))
    assert legacy.stdout == "init of newpkg.sub\nmain of __main__\n"


def test_dash_m_of_a_legacy_name_keeps_the_canonical_relative_imports(tmp_path: Path) -> None:
    project = make_project(tmp_path, files={"newpkg/main_mod.py": """
        from . import canonical
        from .canonical import func

        if __name__ == "__main__":
            print("ran main", func(), canonical.__name__)
    """})
    canonical = ok(run_python(project, "-m", "newpkg.main_mod", env=config_env(project)))
    assert canonical.stdout == "ran main func newpkg.canonical\n"
    legacy = ok(run_python(project, "-m", "oldpkg.legacy_main", env=config_env(project)))
    assert legacy.stdout == "ran main func newpkg.canonical\n"


def test_dash_m_of_a_legacy_name_without_the_hook_fails(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = run_python(project, "-m", "oldpkg.legacy_main")
    assert result.returncode == 1
    assert "No module named oldpkg.legacy_main" in result.stderr


# -- 10. warn mode: the warning is visible and points at the user's line ----------------------

HELPER = """
import os


import oldpkg.legacy  # legacy


def f():
    return oldpkg.legacy.func()
"""


def test_warn_mode_shows_the_warning_at_the_helpers_line(tmp_path: Path) -> None:
    project = make_project(tmp_path, files={"helper.py": HELPER})
    result = ok(run_script(project, "import helper\nhelper.f()\nprint('app ran')\n",
                           env=config_env(project, SSOT_RUNTIME_MODE="warn")))
    helper = project / "helper.py"
    assert result.stdout == "app ran\n"
    line = line_of(helper, "# legacy")
    warning = (f"{helper}:{line}: LegacyImportWarning: 'oldpkg.legacy' is a legacy import path; "
               "use 'newpkg.canonical' instead")
    assert result.stderr.splitlines()[0] == warning
    assert result.stderr.count("LegacyImportWarning") == 2  # the import, then the attribute read
    assert f"{helper}:{line_of(helper, 'return oldpkg')}: LegacyImportWarning: 'oldpkg.legacy.func'" \
        in result.stderr


def test_warn_mode_under_w_error_makes_the_legacy_import_fail(tmp_path: Path) -> None:
    project = make_project(tmp_path, files={"helper.py": HELPER})
    result = run_script(project, "import helper\n", env=config_env(project, SSOT_RUNTIME_MODE="warn"),
                        options=("-W", "error::DeprecationWarning"))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("ssot_runtime.errors.LegacyImportWarning: 'oldpkg.legacy'")


def test_warn_mode_from_main_under_w_error_raises_our_warning_at_the_users_line(tmp_path: Path) -> None:
    """3.12 and 3.13: importlib warned first ("Module globals is missing a __spec__.loader")."""
    project = make_project(tmp_path)
    script = "import sys\nprint('started')\nimport oldpkg.legacy  # the use\n"
    result = run_script(project, script, env=config_env(project, SSOT_RUNTIME_MODE="warn"),
                        options=("-W", "error::DeprecationWarning"))
    assert result.returncode == 1, result.stderr
    assert result.stdout == "started\n"
    assert "__spec__.loader" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("ssot_runtime.errors.LegacyImportWarning: 'oldpkg.legacy'")
    assert 'app.py", line 3, in <module>' in result.stderr


def test_warn_mode_from_main_shows_our_warning_and_no_other(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    script = "import oldpkg.legacy\nimport oldpkg.legacy\n"
    result = ok(run_script(project, script, env=config_env(project, SSOT_RUNTIME_MODE="warn")))
    lines = [line for line in result.stderr.splitlines() if "Warning" in line]
    assert len(lines) == 2 and all("app.py:" in line and "LegacyImportWarning: 'oldpkg.legacy'" in line
                                   for line in lines), result.stderr


def run_helper_with_warnings(tmp_path: Path, how: str) -> subprocess.CompletedProcess[str]:
    """Warn mode, the helper imported by a script, with ``-W ...`` or ``PYTHONWARNINGS=...``."""
    project = make_project(tmp_path, files={"helper.py": HELPER})
    env = config_env(project, SSOT_RUNTIME_MODE="warn")
    options: tuple[str, ...] = ()
    if how.startswith("-W"):
        options = tuple(how.split())
    else:
        name, _, value = how.partition("=")
        env[name] = value
    return ok(run_script(project, "import helper\nprint('app ran')\n", env=env, options=options))


@pytest.mark.parametrize("how", ["-W ignore::DeprecationWarning", "-W ignore", "PYTHONWARNINGS=ignore"])
def test_warn_mode_respects_the_users_ignore_filter(tmp_path: Path, how: str) -> None:
    result = run_helper_with_warnings(tmp_path, how)
    assert result.stdout == "app ran\n"
    assert result.stderr == ""


@pytest.mark.parametrize("how", ["-W error::ResourceWarning", "PYTHONWARNINGS=default::ResourceWarning"])
def test_warn_mode_stays_visible_with_unrelated_warning_options(tmp_path: Path, how: str) -> None:
    result = run_helper_with_warnings(tmp_path, how)
    assert result.stdout == "app ran\n"
    helper = tmp_path / "project" / "helper.py"
    assert f"{helper}:{line_of(helper, '# legacy')}: LegacyImportWarning: 'oldpkg.legacy'" in result.stderr


# -- child processes inherit the hook through the environment ---------------------------------


def test_child_processes_started_with_spawn_have_the_hook(tmp_path: Path) -> None:
    project = make_project(tmp_path, files={"worker.py": """
        def work(_):
            import os
            import oldpkg.legacy  # in the child
            import ssot_runtime
            return [(r.legacy, os.path.basename(r.file), r.count) for r in ssot_runtime.active_hook().snapshot()]
    """})
    result = ok(run_script(project, """
        import json, multiprocessing
        import worker

        if __name__ == "__main__":
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                print(json.dumps(pool.map(worker.work, [0])))
    """, env=config_env(project)))
    assert last_json(result) == [[["oldpkg.legacy", "worker.py", 1]]]
