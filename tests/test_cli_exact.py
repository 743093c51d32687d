"""Paths mean the same everywhere, errors name the place, and the command line itself (issue 12)."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ssot_runtime.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "ssot-runtime")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSOT_RUNTIME_", "OTEL_"))}
    env.update(extra)
    return env


def project(tmp_path: Path, config: str = "") -> Path:
    root = tmp_path / "proj"
    (root / "newpkg").mkdir(parents=True)
    (root / "newpkg" / "__init__.py").write_text("")
    (root / "newpkg" / "canonical.py").write_text("X = 1\ndef work():\n    return 1\n")
    (root / "ssot-runtime.toml").write_text(config + '[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    (root / "app.py").write_text(textwrap.dedent("""
        import oldpkg.legacy as legacy

        def handle():
            legacy.work()
            legacy.work()  # the same function and symbol on another line: one baseline key
    """))
    return root


def traced(root: Path, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    code = "import ssot_runtime; ssot_runtime.process_startup(); import app; app.handle()"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd or root, text=True,
                          capture_output=True, timeout=60,
                          env=clean_env(PYTHONPATH=str(root), SSOT_RUNTIME_CONFIG=str(root / "ssot-runtime.toml"),
                                        **env))


# -- paths mean the same everywhere --------------------------------------------------------------
def test_site_keys_are_relative_to_the_config_folder_in_check_and_the_plugin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, 'output = "traces"\n')
    assert traced(root).returncode == 0
    monkeypatch.delenv("SSOT_RUNTIME_OUTPUT")
    monkeypatch.chdir(tmp_path)  # not the project: the config file's folder is the root all the same
    config = str(root / "ssot-runtime.toml")
    baseline = tmp_path / "baseline.json"
    written = runner.invoke(app, ["check", "--config", config, "--write-baseline", str(baseline)])
    assert written.exit_code == 0, written.output
    keys = json.loads(baseline.read_text())["legacy_paths"]["oldpkg.legacy"]["sites"]
    assert keys == ["app.py::app.<module>::", "app.py::app.handle::work"]
    # 3 sites (the import, two reads), 2 keys stored: the line says what it stored.
    assert f"site keys relative to {root}" in written.stdout and "1 legacy path, 2 sites" in written.stdout
    with_root = runner.invoke(app, ["check", "--root", str(root), "--write-baseline", str(tmp_path / "b2.json"),
                                    str(root / "traces")])
    assert json.loads((tmp_path / "b2.json").read_text())["legacy_paths"] == \
        json.loads(baseline.read_text())["legacy_paths"], with_root.output
    monkeypatch.chdir(root)  # no --root, no --config: found from the working directory
    passed = runner.invoke(app, ["check", "--baseline", str(baseline)])
    assert passed.exit_code == 0, passed.output
    assert "new site" not in passed.stdout and "gone" not in passed.stdout
    assert f"site keys relative to {root}" in passed.stdout


def test_check_counts_sites_and_uses_beyond_the_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, 'output = "traces"\n')
    assert traced(root).returncode == 0
    monkeypatch.delenv("SSOT_RUNTIME_OUTPUT")
    monkeypatch.chdir(root)
    failed = runner.invoke(app, ["check"])
    assert failed.exit_code == 1
    assert "check failed: 3 sites (3 uses) beyond the baseline" in failed.stderr


def test_the_output_folder_is_the_config_files(tmp_path: Path) -> None:
    root = project(tmp_path, 'output = "traces"\n')
    result = traced(root, cwd=tmp_path)  # SSOT_RUNTIME_CONFIG=proj/ssot-runtime.toml from the folder above
    assert result.returncode == 0, result.stderr
    assert list((root / "traces").glob("*.metrics.jsonl")) and not (tmp_path / "traces").exists()
    (root / "ssot-runtime.toml").write_text('[redirects]\n"oldpkg.legacy" = "newpkg.canonical"\n')
    ran = subprocess.run([CLI, "run", "--config", str(root / "ssot-runtime.toml"), "--", sys.executable, "-c",
                          "import oldpkg.legacy"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env=clean_env(PYTHONPATH=str(root)))
    assert ran.returncode == 0, ran.stderr
    assert f"traces in {root / '.ssot-runtime'}" in ran.stderr and not (tmp_path / ".ssot-runtime").exists()


def test_scan_paths_have_one_form_relative_to_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path)
    (root / "sub").mkdir()
    (root / "sub" / "b.py").write_text("from oldpkg.legacy import work\n")
    (root / "c.py").write_text("import oldpkg.legacy\n")
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["scan", "./app.py", "sub", str(root / "c.py"), "--format", "json"])
    assert result.exit_code == 0, result.output
    files = sorted({ref["file"] for ref in json.loads(result.stdout)["references"]})
    assert files == ["app.py", "c.py", "sub/b.py"]


def test_scan_and_fix_refuse_a_missing_path(tmp_path: Path) -> None:
    for command in ("scan", "fix"):
        result = runner.invoke(app, [command, str(tmp_path / "nosuchdir")])
        assert result.exit_code == 2 and f"{tmp_path / 'nosuchdir'}: no such file or folder" in result.stderr


def test_fix_write_goes_through_a_symlink(tmp_path: Path) -> None:
    root = project(tmp_path)
    target = root / "real.py"
    target.write_text("import oldpkg.legacy\n")
    link = root / "link.py"
    link.symlink_to(target)
    result = runner.invoke(app, ["fix", str(link), "--write", "--config", str(root / "ssot-runtime.toml")])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "import newpkg.canonical\n"


# -- errors name the place ---------------------------------------------------------------------
def test_no_config_found_is_said_with_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(tmp_path)
    shown = runner.invoke(app, ["config"])
    assert "no configuration found" in shown.stderr
    assert str(tmp_path / "ssot-runtime.toml") in shown.stderr and str(tmp_path / "pyproject.toml") in shown.stderr
    refused = subprocess.run([CLI, "run", "--", sys.executable, "-c", "print('ran')"], cwd=tmp_path,
                             capture_output=True, text=True, env=clean_env(), timeout=60)
    assert refused.returncode == 2 and "ran" not in refused.stdout
    assert "no configuration found" in refused.stderr and "--allow-no-config" in refused.stderr
    allowed = subprocess.run([CLI, "run", "--allow-no-config", "--", sys.executable, "-c", "print('ran')"],
                             cwd=tmp_path, capture_output=True, text=True, env=clean_env(), timeout=60)
    assert allowed.returncode == 0 and "ran" in allowed.stdout


@pytest.mark.parametrize(("args", "named"), [
    (["report", "--since", "yesterday"], "--since 'yesterday': expected an ISO date"),
    (["report", "--until", "soon"], "--until 'soon'"),
    (["report", "--top", "-1"], "'--top'"),
    (["plan", "--batch-size", "0"], "'--batch-size'"),
    (["check", "--max-uses", "-2"], "'--max-uses'"),
])
def test_a_bad_option_value_names_the_option_and_the_accepted_form(tmp_path: Path, args: list[str],
                                                                    named: str) -> None:
    (tmp_path / "t.jsonl").write_text("")
    result = runner.invoke(app, [*args, str(tmp_path / "t.jsonl")])
    assert result.exit_code == 2
    assert named in result.output
    assert "Invalid isoformat" not in result.output


def test_a_bad_gz_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "traces.jsonl.gz"
    bad.write_bytes(b"no, not gzip\n")
    result = runner.invoke(app, ["report", str(bad)])
    assert result.exit_code == 2 and f"{bad}: not a gzip file" in result.stderr
    good = tmp_path / "empty.jsonl.gz"
    good.write_bytes(gzip.compress(b""))
    assert runner.invoke(app, ["report", str(good)]).exit_code == 0


def _toml(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.10
        import tomli as tomllib
    return tomllib.loads(text)


def test_config_show_prints_toml_with_each_values_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "ssot-runtime.toml"
    config.write_text('mode = "warn"\n[redirects]\n"app.old" = { to = "app.new", note = "see #1", '
                      'remove_after = 2026-12-31 }\n"app.old:Old" = "app.y:New"\n')
    monkeypatch.setenv("SSOT_RUNTIME_OUTPUT", str(tmp_path / "env-out"))
    shown = runner.invoke(app, ["config", "--config", str(config), "--show"])
    assert shown.exit_code in (0, 1), shown.output  # 1: app.new does not import here
    text = shown.stdout.split("error:")[0]
    data = _toml(text)  # valid TOML: no Python reprs
    assert data["mode"] == "warn" and data["exporters"] == ["local"] and data["output"] == str(tmp_path / "env-out")
    assert data["redirects"]["app.old"] == {"to": "app.new", "note": "see #1", "remove_after": __import__(
        "datetime").date(2026, 12, 31)}
    assert data["redirects"]["app.old:Old"] == "app.y:New"
    lines = {line.split(" = ")[0]: line for line in text.splitlines() if " = " in line}
    assert lines["mode"].endswith(f"# file {config}")
    assert lines["export_interval"].endswith("# default")
    assert lines["output"].endswith("# environment SSOT_RUNTIME_OUTPUT")


# -- the command line itself -------------------------------------------------------------------
def test_version_and_python_m() -> None:
    from ssot_runtime import __version__

    assert runner.invoke(app, ["--version"]).stdout == f"ssot-runtime {__version__}\n"
    module = subprocess.run([sys.executable, "-m", "ssot_runtime", "--version"], capture_output=True, text=True,
                            timeout=60, env=clean_env())
    assert module.returncode == 0 and module.stdout == f"ssot-runtime {__version__}\n"
    assert subprocess.run([sys.executable, "-m", "ssot_runtime", "report", "--top", "x"], capture_output=True,
                          timeout=60, env=clean_env()).returncode == 2


def test_shell_completion_is_offered() -> None:
    help_text = runner.invoke(app, ["--help"]).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def _commands() -> dict[str, Any]:
    group: Any = typer.main.get_command(app)
    return dict(group.commands)


def _is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option")


def test_help_has_no_python_types_and_says_how_to_repeat_and_the_defaults() -> None:
    commands = _commands()
    assert set(commands) >= {"run", "report", "plan", "check", "scan", "fix", "config", "enable", "disable"}
    for name, command in commands.items():
        text = runner.invoke(app, [name, "--help"], terminal_width=200).stdout
        assert not re.search(r"<(list\[|str>|int>|path>|bool>|float>)", text), (name, text)
        for param in command.params:
            if _is_option(param) and param.multiple:
                assert "Repeat the option" in (param.help or ""), (name, param.name)
    run_help = " ".join(runner.invoke(app, ["run", "--help"], terminal_width=200).stdout.split())
    assert "Usage: ssot-runtime run [OPTIONS] -- COMMAND [ARG]..." in run_help
    for option in ("output", "mode"):
        param = next(p for p in commands["run"].params if p.name == option)
        assert _is_option(param) and isinstance(param.show_default, str) and param.show_default
    top = next(p for p in commands["report"].params if p.name == "top")
    assert _is_option(top) and top.show_default == "all"
    assert "[default: (all)]" in " ".join(runner.invoke(app, ["report", "--help"], terminal_width=200).stdout.split())


def test_docs_cli_covers_every_command_and_option() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    for name, command in _commands().items():
        assert re.search(rf"^## {name}\b", text, re.M), name
        section = text.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if _is_option(param) and param.name not in ("help",):
                long = next(o for o in param.opts if o.startswith("--"))
                assert long in section, (name, long)
    assert "--version" in text and "python -m ssot_runtime" in text


def test_the_report_schema_is_documented_key_by_key(tmp_path: Path) -> None:
    doc_path = ROOT / "docs" / "report-schema.md"
    text = doc_path.read_text()
    assert "ssot-runtime/report/v1" in text
    root = project(tmp_path)
    out = tmp_path / "out"
    assert traced(root, SSOT_RUNTIME_OUTPUT=str(out)).returncode == 0
    report = json.loads(runner.invoke(app, ["report", str(out), "--format", "json"]).stdout)

    def keys(value: Any, prefix: str = "") -> set[str]:
        found: set[str] = set()
        if isinstance(value, dict):
            for key, item in value.items():
                found |= {f"{prefix}{key}"} | keys(item, f"{prefix}{key}.")
        elif isinstance(value, list) and value:
            found |= keys(value[0], f"{prefix[:-1]}[].")
        return found

    for key in keys(report):
        assert f"`{key}`" in text, key
    assert "issue tracker" not in (ROOT / "docs" / "cli.md").read_text()


# -- plan: covered sites listed, totals that add up, singular and plural ---------------------------
def test_the_markdown_plan_lists_covered_sites_and_each_batch_adds_up(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, 'output = "traces"\n')
    assert traced(root).returncode == 0
    monkeypatch.delenv("SSOT_RUNTIME_OUTPUT")
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["plan"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "1 batch, 1 line change." in text
    batch = text.split("## Batch 1", 1)[1].split("\nVerify:", 1)[0]
    header = int(re.search(r"^ \(\w+, (\d+) uses?\)", batch).group(1))  # type: ignore[union-attr]
    lines = [int(n) for n in re.findall(r"^- `[^`]+` \((\d+) uses?\)", batch, re.M)]
    assert header == 3 and sorted(lines) == [1, 1, 1] and sum(lines) == header
    assert "`app.py:5` (1 use): covered" in batch and "`app.py:6` (1 use): covered" in batch
    assert not re.search(r"\b1 (uses|processes|sites|batches)\b", text)
