"""docs/cli-reference.md is what the typer app generates today (``make cli-docs`` rewrites it)."""

from __future__ import annotations

import difflib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import typer.main

from ssot_runtime.cli import app

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "cli-reference.md"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "tools" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def committed_typer_version(page: str) -> str | None:
    match = re.search(r"with typer (\S+?):", page)
    return match.group(1) if match else None


def test_committed_reference_is_what_the_app_generates() -> None:
    tool = generator()
    committed = PAGE.read_text(encoding="utf-8")
    made_with, installed = committed_typer_version(committed), tool.typer_version()
    if made_with is not None and made_with != installed:
        # Each typer release writes its own Markdown (metavars, spacing): compare only with the one
        # that wrote the page (the default venv's). The next test still checks the page's content.
        pytest.skip(f"docs/cli-reference.md was generated with typer {made_with}, this environment has "
                    f"{installed}: run `make cli-docs` in the default venv to compare")
    generated = tool.render()
    if committed != generated:
        diff = "".join(difflib.unified_diff(committed.splitlines(keepends=True), generated.splitlines(keepends=True),
                                            "docs/cli-reference.md (committed)", "generated from the app"))
        raise AssertionError(f"docs/cli-reference.md is out of date: run `make cli-docs` and commit it.\n{diff}")


def test_committed_reference_documents_every_command_and_option() -> None:
    """Whatever typer wrote it: every command of the app has its section, naming each of its options."""
    page = PAGE.read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    sections = {part.split("`", 1)[0]: part for part in page.split("\n## `ssot-runtime ")[1:]}
    assert sorted(sections) == sorted(group.commands), "run `make cli-docs` and commit docs/cli-reference.md"
    for name, command in group.commands.items():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert f"`{opt}" in sections[name] or f" {opt}" in sections[name], (
                        f"{name} {opt} is not in docs/cli-reference.md: run `make cli-docs` and commit it")
