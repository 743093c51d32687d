"""The configuration: the TOML contract, its validation, the lookup order and the overrides."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ssot_runtime
from ssot_runtime import Config, ConfigError, Rule, load_config, parse_config
from ssot_runtime.config import MODES, strict_requested

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

EXAMPLE = """
    mode = "warn"            # redirect | warn | error | observe   (default: redirect)
    strict = false           # optional
    enforce_deadlines = false
    warn = "once"            # once | always
    skip_modules = ["celery.*"]

    [redirects]
    "app.ws.unified_manager" = "app.ws.websocket_manager"
    "app.ws.unified_manager:UnifiedWebSocketManager" = "app.ws.websocket_manager:WebSocketManager"
    "app.legacy.*" = "app.core.*"
    "app.ws.manager" = { to = "app.ws.websocket_manager", mode = "error", note = "see #1196", remove_after = 2026-12-31 }
"""  # noqa: E501 - the contract's example, verbatim

EXAMPLE_RULES = (
    Rule("app.ws.unified_manager", "app.ws.websocket_manager"),
    Rule(
        "app.ws.unified_manager",
        "app.ws.websocket_manager",
        symbol="UnifiedWebSocketManager",
        target_symbol="WebSocketManager",
    ),
    Rule("app.legacy", "app.core", prefix=True),
    Rule(
        "app.ws.manager",
        "app.ws.websocket_manager",
        mode="error",
        note="see #1196",
        remove_after=dt.date(2026, 12, 31),
    ),
)

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@contextlib.contextmanager
def time_limit(seconds: int = 5) -> Iterator[None]:
    """Fail instead of hanging (a redirect chain that never ends used to loop forever)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds}s")

    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - Windows
        yield
        return
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def load_error(path: Path, text: str) -> ConfigError:
    """Write ``text`` to ``path`` and return the ConfigError that loading it raises."""
    write(path, text)
    with time_limit(), pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    return info.value


def assert_names(exc: ConfigError, source: Path | str, key: str | set[str]) -> None:
    """The message names the file and the key (one of ``key`` when it is a set)."""
    message = str(exc)
    assert exc.source == str(source)
    assert str(source) in message
    keys = {key} if isinstance(key, str) else key
    assert exc.key in keys, (exc.key, keys)
    assert f"key {exc.key!r}" in message


def rule_text(rule: Rule) -> tuple[str, str]:
    """The two sides of a rule as written."""
    if rule.prefix:
        return f"{rule.legacy}.*", f"{rule.target}.*"
    if rule.symbol is not None:
        return f"{rule.legacy}:{rule.symbol}", f"{rule.target}:{rule.target_symbol}"
    return rule.legacy, rule.target


# -- the example and the defaults -----------------------------------------------------------


def test_example_parses_into_rules(tmp_path: Path) -> None:
    path = write(tmp_path / "ssot-runtime.toml", EXAMPLE)
    config = load_config(path, environ={})
    assert config.rules == EXAMPLE_RULES
    assert config.mode == "warn"
    assert config.strict is False
    assert config.enforce_deadlines is False
    assert config.warn == "once"
    assert config.skip_modules == ("celery.*",)
    assert config.disabled is False
    assert config.source == str(path)
    assert [r.key for r in config.rules] == [
        "app.ws.unified_manager",
        "app.ws.unified_manager:UnifiedWebSocketManager",
        "app.legacy.*",
        "app.ws.manager",
    ]
    assert [rule_text(r)[1] for r in config.rules] == [
        "app.ws.websocket_manager",
        "app.ws.websocket_manager:WebSocketManager",
        "app.core.*",
        "app.ws.websocket_manager",
    ]


def test_example_is_the_same_through_every_entry_point(tmp_path: Path) -> None:
    data = tomllib.loads(textwrap.dedent(EXAMPLE))
    path = write(tmp_path / "ssot-runtime.toml", EXAMPLE)
    by_path = load_config(path, environ={})
    by_str = load_config(str(path), environ={})
    by_mapping = load_config(data, environ={})
    by_parse = parse_config(data, source="here")
    assert by_path == by_str
    assert by_mapping.rules == by_parse.rules == EXAMPLE_RULES
    assert by_mapping.source == "<mapping>"
    assert by_parse.source == "here"
    assert load_config(by_parse, environ={}) is by_parse


def test_the_public_names_are_the_module_ones() -> None:
    assert ssot_runtime.ConfigError is ConfigError
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigError, ssot_runtime.SsotRuntimeError)
    assert ssot_runtime.load_config is load_config
    assert ssot_runtime.parse_config is parse_config


def test_defaults() -> None:
    config = parse_config({})
    assert config == Config(source="<mapping>")
    assert config.rules == ()
    assert config.mode == "redirect"
    assert config.strict is False
    assert config.enforce_deadlines is False
    assert config.warn == "once"
    assert config.skip_modules == ()
    assert config.disabled is False
    assert Config().source == "<defaults>"


def test_options_other_than_the_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ssot-runtime.toml",
        """
        mode = "observe"
        strict = true
        enforce_deadlines = true
        warn = "always"
        skip_modules = ["celery.*", "app.tests"]
        """,
    )
    config = load_config(path, environ={})
    assert (config.mode, config.strict, config.enforce_deadlines, config.warn) == ("observe", True, True, "always")
    assert config.skip_modules == ("celery.*", "app.tests")
    assert config.rules == ()


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_is_accepted_globally_and_per_rule(mode: str) -> None:
    config = parse_config({"mode": mode, "redirects": {"a": {"to": "b", "mode": mode}}})
    assert config.mode == mode
    assert config.rules == (Rule("a", "b", mode=mode),)


def test_a_rule_table_needs_only_to() -> None:
    (rule,) = parse_config({"redirects": {"a.*": {"to": "b.*"}}}).rules
    assert rule == Rule("a", "b", prefix=True)
    assert (rule.mode, rule.note, rule.remove_after) == (None, "", None)


def test_remove_after_from_a_date_or_an_iso_string(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ssot-runtime.toml",
        """
        [redirects]
        "a" = { to = "b", remove_after = 2026-01-02 }
        "c" = { to = "d", remove_after = "2026-03-04" }
        """,
    )
    assert [r.remove_after for r in load_config(path, environ={}).rules] == [dt.date(2026, 1, 2), dt.date(2026, 3, 4)]
    mapped = parse_config({"redirects": {"a": {"to": "b", "remove_after": dt.date(2030, 5, 6)}}})
    assert mapped.rules[0].remove_after == dt.date(2030, 5, 6)


def test_rules_keep_the_file_order() -> None:
    redirects = {f"old{i}": f"new{i}" for i in (3, 1, 2, 0)}
    assert [r.legacy for r in parse_config({"redirects": redirects}).rules] == ["old3", "old1", "old2", "old0"]


@pytest.mark.parametrize(
    "redirects",
    [
        pytest.param({"a": "b", "b": "c", "c": "d"}, id="a-chain-of-modules"),
        pytest.param({"a.*": "ab.*"}, id="prefix-into-a-sibling-with-the-same-start"),
        pytest.param({"a.b.*": "a.*"}, id="prefix-into-its-parent"),
        pytest.param({"a.*": "b.*", "b.x.*": "a.y.*", "b.y.*": "a.z.*"}, id="long-prefix-chain-that-ends"),
        pytest.param({"a.*": "b.*", "a.x": "c"}, id="module-rule-inside-a-prefix"),
        pytest.param({"a.*": "b.*", "a:X": "b:Y"}, id="symbol-of-the-prefix-package-itself"),
        pytest.param({"a.*": "b.*", "a.m.n:X": "b.m.n:Y"}, id="symbol-of-a-submodule-of-a-prefix"),
        pytest.param({"a": "c", "a:X": "a:Y"}, id="symbol-renamed-in-a-redirected-module"),
        pytest.param({"a": "b", "b:X": "c:Y", "b.*": "c.*"}, id="symbol-rule-before-its-prefix-rule"),
        pytest.param({"ünï.cödé": "日本.語"}, id="unicode-identifiers"),
    ],
)
def test_valid_rule_maps(redirects: dict[str, str]) -> None:
    with time_limit():
        config = parse_config({"redirects": redirects})
    assert {rule_text(r) for r in config.rules} == set(redirects.items())


# -- every error names the file and the key --------------------------------------------------

ERRORS: list[Any] = [
    # unknown keys
    pytest.param('colour = "red"', "colour", id="unknown-top-level-key"),
    pytest.param("[tool]\nx = 1", "tool", id="unknown-top-level-table"),
    pytest.param('[redirects]\n"a" = { to = "b", colour = "red" }', "redirects.a", id="unknown-rule-key"),
    pytest.param('[redirects]\n"a" = { mode = "warn" }', "redirects.a", id="rule-table-without-to"),
    # module names
    pytest.param('[redirects]\n"a..b" = "c"', "redirects.a..b", id="empty-part"),
    pytest.param('[redirects]\n"a." = "c"', "redirects.a.", id="trailing-dot"),
    pytest.param('[redirects]\n".a" = "c"', "redirects..a", id="leading-dot"),
    pytest.param('[redirects]\n"1a" = "c"', "redirects.1a", id="starts-with-a-digit"),
    pytest.param('[redirects]\n"a-b" = "c"', "redirects.a-b", id="dash"),
    pytest.param('[redirects]\n"a b" = "c"', "redirects.a b", id="space"),
    pytest.param('[redirects]\n"" = "c"', "redirects.", id="empty-legacy"),
    pytest.param('[redirects]\n"a" = ""', "redirects.a", id="empty-target"),
    pytest.param('[redirects]\n"a" = "b/c"', "redirects.a", id="bad-target"),
    pytest.param('[redirects]\n"a" = "c"\n"a:1X" = "c:Y"', "redirects.a:1X", id="bad-legacy-symbol"),
    pytest.param('[redirects]\n"a" = "c"\n"a:X" = "c:"', "redirects.a:X", id="empty-target-symbol"),
    pytest.param('[redirects]\n"a" = "c"\n"a:X.Y" = "c:Y"', "redirects.a:X.Y", id="dotted-symbol"),
    # a legacy name equal to its target
    pytest.param('[redirects]\n"a.b" = "a.b"', "redirects.a.b", id="module-equals-target"),
    pytest.param('[redirects]\n"a.*" = "a.*"', "redirects.a.*", id="prefix-equals-target"),
    pytest.param('[redirects]\n"a" = "c"\n"a:X" = "a:X"', "redirects.a:X", id="symbol-equals-target"),
    # cycles
    pytest.param('[redirects]\n"a" = "b"\n"b" = "a"', {"redirects.a", "redirects.b"}, id="cycle-of-two"),
    pytest.param(
        '[redirects]\n"a" = "b"\n"b" = "c"\n"c" = "a"',
        {"redirects.a", "redirects.b", "redirects.c"},
        id="cycle-of-three",
    ),
    pytest.param(
        '[redirects]\n"a.*" = "b.*"\n"b.x" = "a.x"', {"redirects.a.*", "redirects.b.x"}, id="cycle-through-a-prefix"
    ),
    pytest.param(
        '[redirects]\n"a.*" = "b.*"\n"b.*" = "a.*"', {"redirects.a.*", "redirects.b.*"}, id="cycle-of-prefixes"
    ),
    pytest.param(
        '[redirects]\n"a.*" = "b.*"\n"b.*" = "a.*"\n"b" = "c"',
        {"redirects.a.*", "redirects.b.*"},
        id="cycle-of-prefixes-only-below-the-packages",
    ),
    pytest.param(
        '[redirects]\n"a.*" = "x.*"\n"a.b.*" = "y.*"\n"y" = "a.b"',
        {"redirects.a.b.*", "redirects.y"},
        id="cycle-through-the-longer-prefix",
    ),
    pytest.param(
        '[redirects]\n"a.*" = "b.c.*"\n"b.*" = "a.*"',
        {"redirects.a.*", "redirects.b.*"},
        id="chain-that-grows-without-end",
    ),
    # '*' only as a trailing '.*' on both sides
    pytest.param('[redirects]\n"a*" = "b"', "redirects.a*", id="star-glued-to-a-name"),
    pytest.param('[redirects]\n"a" = "b*"', "redirects.a", id="star-glued-in-the-target"),
    pytest.param('[redirects]\n"a.*.b" = "c.*.b"', "redirects.a.*.b", id="star-in-the-middle"),
    pytest.param('[redirects]\n"*" = "b.*"', "redirects.*", id="bare-star"),
    pytest.param('[redirects]\n".*" = "b.*"', "redirects..*", id="star-without-a-package"),
    pytest.param('[redirects]\n"a.**" = "b.**"', "redirects.a.**", id="double-star"),
    pytest.param('[redirects]\n"a.*" = "b"', "redirects.a.*", id="prefix-into-a-module"),
    pytest.param('[redirects]\n"a" = "b.*"', "redirects.a", id="module-into-a-prefix"),
    pytest.param('[redirects]\n"a.*" = "b.*.c"', "redirects.a.*", id="star-in-the-middle-of-the-target"),
    pytest.param('[redirects]\n"a" = "b"\n"a:X*" = "b:Y"', "redirects.a:X*", id="star-in-a-symbol"),
    pytest.param('[redirects]\n"a.*:X" = "b.*:Y"', "redirects.a.*:X", id="prefix-with-a-symbol"),
    # symbol rules
    pytest.param('[redirects]\n"a:X" = "a:Y"\n"a:Y" = "a:X"', "redirects.a:X", id="symbol-cycle-in-a-live-module"),
    pytest.param('[redirects]\n"c" = "d"\n"a:X" = "b:Y"\n"b:Y" = "a:X"', "redirects.a:X",
                 id="symbol-cycle-among-others"),
    pytest.param('[redirects]\n"a" = "b"\n"a:X" = "b"', "redirects.a:X", id="symbol-into-a-module"),
    pytest.param('[redirects]\n"a" = "b:Y"', "redirects.a", id="module-into-a-symbol"),
    # a prefix into itself
    pytest.param('[redirects]\n"a.*" = "a.b.*"', "redirects.a.*", id="prefix-into-itself"),
    pytest.param('[redirects]\n"a.b.*" = "a.b.c.d.*"', "redirects.a.b.*", id="prefix-deep-into-itself"),
    # modes
    pytest.param('mode = "loud"', "mode", id="unknown-mode"),
    pytest.param('mode = "Warn"', "mode", id="mode-is-case-sensitive"),
    pytest.param("mode = 1", "mode", id="mode-not-a-string"),
    pytest.param('mode = ["warn"]', "mode", id="mode-a-list"),
    pytest.param('[redirects]\n"a" = { to = "b", mode = "loud" }', "redirects.a.mode", id="unknown-rule-mode"),
    pytest.param('[redirects]\n"a" = { to = "b", mode = true }', "redirects.a.mode", id="rule-mode-not-a-string"),
    pytest.param('warn = "never"', "warn", id="unknown-warn"),
    pytest.param("warn = true", "warn", id="warn-not-a-string"),
    # dates
    pytest.param(
        '[redirects]\n"a" = { to = "b", remove_after = "someday" }', "redirects.a.remove_after", id="date-text"
    ),
    pytest.param(
        '[redirects]\n"a" = { to = "b", remove_after = "2026-02-30" }', "redirects.a.remove_after", id="no-such-day"
    ),
    pytest.param(
        '[redirects]\n"a" = { to = "b", remove_after = 2026-12-31T10:00:00 }',
        "redirects.a.remove_after",
        id="local-datetime",
    ),
    pytest.param(
        '[redirects]\n"a" = { to = "b", remove_after = 2026-12-31T10:00:00Z }',
        "redirects.a.remove_after",
        id="offset-datetime",
    ),
    pytest.param(
        '[redirects]\n"a" = { to = "b", remove_after = 10:00:00 }', "redirects.a.remove_after", id="time-of-day"
    ),
    pytest.param(
        '[redirects]\n"a" = { to = "b", remove_after = 20261231 }', "redirects.a.remove_after", id="date-integer"
    ),
    pytest.param('[redirects]\n"a" = { to = "b", remove_after = true }', "redirects.a.remove_after", id="date-boolean"),
    # types
    pytest.param('strict = "yes"', "strict", id="strict-string"),
    pytest.param("strict = 1", "strict", id="strict-integer"),
    pytest.param('enforce_deadlines = "true"', "enforce_deadlines", id="enforce-deadlines-string"),
    pytest.param('skip_modules = "celery.*"', "skip_modules", id="skip-modules-string"),
    pytest.param("skip_modules = [1]", "skip_modules", id="skip-modules-of-integers"),
    pytest.param('skip_modules = [""]', "skip_modules", id="skip-modules-empty-pattern"),
    pytest.param('redirects = "a"', "redirects", id="redirects-string"),
    pytest.param('redirects = ["a", "b"]', "redirects", id="redirects-list"),
    pytest.param('[redirects]\n"a" = 1', "redirects.a", id="target-integer"),
    pytest.param('[redirects]\n"a" = ["b"]', "redirects.a", id="target-list"),
    pytest.param('[redirects]\n"a" = { to = 1 }', "redirects.a", id="to-integer"),
    pytest.param('[redirects]\n"a" = { to = { x = "b" } }', "redirects.a", id="to-table"),
    pytest.param('[redirects]\n"a" = { to = "b", note = 1196 }', "redirects.a.note", id="note-integer"),
]


@pytest.mark.parametrize(("text", "key"), ERRORS)
def test_config_errors_name_the_file_and_the_key(tmp_path: Path, text: str, key: str | set[str]) -> None:
    path = tmp_path / "ssot-runtime.toml"
    assert_names(load_error(path, text), path, key)


@pytest.mark.parametrize(("text", "key"), ERRORS)
def test_config_errors_from_a_pyproject_section(tmp_path: Path, text: str, key: str | set[str]) -> None:
    """The same errors in ``[tool.ssot_runtime]``, found upwards: the source names the pyproject."""
    section = "\n".join(
        f"[tool.ssot_runtime.{line[1:]}" if line.startswith("[") else line for line in text.splitlines()
    )
    pyproject = write(tmp_path / "pyproject.toml", f"[tool.ssot_runtime]\n{section}\n")
    cwd = tmp_path / "pkg"
    cwd.mkdir()
    with time_limit(), pytest.raises(ConfigError) as info:
        load_config(environ={}, cwd=cwd)
    assert_names(info.value, f"{pyproject} [tool.ssot_runtime]", key)
    assert str(pyproject) in str(info.value)


def test_unknown_keys_are_all_listed(tmp_path: Path) -> None:
    path = tmp_path / "ssot-runtime.toml"
    exc = load_error(path, 'zeta = 1\nalpha = 2\nmode = "warn"')
    assert_names(exc, path, "alpha")
    assert str(exc).endswith("unknown key(s) alpha, zeta")
    exc = load_error(path, '[redirects]\n"a" = { to = "b", colour = 1, size = 2 }')
    assert "colour" in str(exc) and "size" in str(exc)


def test_symbol_rules_of_live_modules_are_valid() -> None:
    cfg = parse_config({"redirects": {"a:X": "b:Y", "c.d:Old": {"to": "e:New", "mode": "warn", "note": "n",
                                                                     "remove_after": "2027-01-01"}, "a:Z": "a:X"}})
    assert [(r.legacy, r.symbol, r.target, r.target_symbol, r.mode) for r in cfg.rules] == [
        ("a", "X", "b", "Y", None), ("c.d", "Old", "e", "New", "warn"), ("a", "Z", "a", "X", None)]


@pytest.mark.parametrize(
    ("redirects", "explanation"),
    [
        pytest.param({"a*": "b"}, "trailing '.*'", id="star-glued-to-a-name"),
        pytest.param({"a": "b*"}, "trailing '.*'", id="star-glued-in-the-target"),
        pytest.param({"a.*.b": "c.*.b"}, "trailing '.*'", id="star-in-the-middle"),
        pytest.param({"*": "b.*"}, "trailing '.*'", id="bare-star"),
        pytest.param({"a.**": "b.**"}, "trailing '.*'", id="double-star"),
        pytest.param({"a": "b", "a:X*": "b:Y"}, "trailing '.*'", id="star-in-a-symbol"),
        pytest.param({"a.*": "b"}, "must map to a prefix 'b.*'", id="prefix-into-a-module"),
        pytest.param({"a": "b.*"}, "must map to a prefix 'b.*'", id="module-into-a-prefix"),
        pytest.param({"a.*": "a.b.*"}, "into itself", id="prefix-into-itself"),
        pytest.param({"a.b.*": "a.b.c.d.*"}, "into itself", id="prefix-deep-into-itself"),
        pytest.param({"a": "a"}, "equals its target", id="module-equals-target"),
        pytest.param({"m:A": "m:B", "m:B": "n:C", "n:C": "m:A"}, "redirect cycle m:A -> m:B -> n:C -> m:A",
                     id="symbol-cycle"),
    ],
)
def test_errors_say_what_is_wrong(redirects: dict[str, str], explanation: str) -> None:
    with time_limit(), pytest.raises(ConfigError) as info:
        parse_config({"redirects": redirects})
    assert explanation in str(info.value)


def test_errors_from_a_mapping_name_the_mapping() -> None:
    with pytest.raises(ConfigError) as info:
        load_config({"redirects": {"a": "a"}}, environ={})
    assert info.value.source == "<mapping>"
    assert str(info.value).startswith("<mapping>, key 'redirects.a': ")
    with pytest.raises(ConfigError) as info:
        parse_config({"mode": "x"}, source="somewhere.toml")
    assert str(info.value).startswith("somewhere.toml, key 'mode': ")


def test_a_cycle_error_shows_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "ssot-runtime.toml"
    assert "a -> b -> c -> a" in str(load_error(path, '[redirects]\n"a" = "b"\n"b" = "c"\n"c" = "a"'))
    grows = load_error(path, '[redirects]\n"a.*" = "b.c.*"\n"b.*" = "a.*"')
    assert "cycle" in str(grows)
    assert "b.c -> a.c -> b.c.c" in str(grows)


# -- invalid and unreadable files ------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'mode = "warn', id="unterminated-string"),
        pytest.param(b"[redirects\n", id="unterminated-table"),
        pytest.param(b'mode = "warn"\nmode = "error"\n', id="duplicate-key"),
        pytest.param(b"= 1\n", id="no-key"),
        pytest.param(b'mode = "warn"\n# \xff\xfe not utf-8\n', id="not-utf-8"),
    ],
)
def test_invalid_toml_names_the_file(tmp_path: Path, content: bytes) -> None:
    local = tmp_path / "ssot-runtime.toml"
    local.write_bytes(content)
    for call in (
        lambda: load_config(local, environ={}),
        lambda: load_config(environ={"SSOT_RUNTIME_CONFIG": str(local)}, cwd=tmp_path),
        lambda: load_config(environ={}, cwd=tmp_path),
    ):
        with pytest.raises(ConfigError) as info:
            call()
        assert info.value.source == str(local)
        assert str(local) in str(info.value)
        assert "invalid TOML" in str(info.value)


def test_invalid_pyproject_found_upwards_names_it(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", "[tool.ssot_runtime\n")
    cwd = tmp_path / "a" / "b"
    cwd.mkdir(parents=True)
    with pytest.raises(ConfigError) as info:
        load_config(environ={}, cwd=cwd)
    assert str(pyproject) in str(info.value)


def test_missing_explicit_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    for call in (
        lambda: load_config(missing, environ={}),
        lambda: load_config(str(missing), environ={}),
        lambda: load_config(environ={"SSOT_RUNTIME_CONFIG": str(missing)}, cwd=tmp_path),
    ):
        with pytest.raises(ConfigError) as info:
            call()
        assert info.value.source == str(missing)
        assert str(missing) in str(info.value)
        assert "cannot read" in str(info.value)


def test_a_folder_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={})
    assert str(tmp_path) in str(info.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "ssot-runtime.toml", 'mode = "warn"')
    path.chmod(0)
    try:
        with pytest.raises(ConfigError) as info:
            load_config(path, environ={})
        assert str(path) in str(info.value)
    finally:
        path.chmod(0o600)


def test_explicit_pyproject_reads_its_section(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        """
        [project]
        name = "x"

        [tool.ssot_runtime]
        mode = "error"

        [tool.ssot_runtime.redirects]
        "a" = "b"
        """,
    )
    config = load_config(pyproject, environ={})
    assert (config.mode, config.rules, config.source) == ("error", (Rule("a", "b"),), str(pyproject))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('[project]\nname = "x"\n', id="no-tool"),
        pytest.param("[tool.black]\nline-length = 100\n", id="no-section"),
        pytest.param("[tool]\nssot_runtime = 1\n", id="section-not-a-table"),
        pytest.param("tool = 1\n", id="tool-not-a-table"),
    ],
)
def test_explicit_pyproject_without_a_section(tmp_path: Path, text: str) -> None:
    pyproject = write(tmp_path / "pyproject.toml", text)
    for call in (
        lambda: load_config(pyproject, environ={}),
        lambda: load_config(environ={"SSOT_RUNTIME_CONFIG": str(pyproject)}, cwd=tmp_path / "x"),
    ):
        with pytest.raises(ConfigError) as info:
            call()
        assert str(pyproject) in str(info.value)
        assert "tool.ssot_runtime" in str(info.value)


def test_pyproject_found_upwards_with_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", "[tool]\nssot_runtime = 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(environ={}, cwd=tmp_path)
    assert_names(info.value, pyproject, "tool.ssot_runtime")
    assert strict_requested({}, tmp_path) is False


def test_pyproject_found_upwards_whose_tool_is_not_a_table_has_no_section(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "tool = 1\n")
    assert load_config(environ={}, cwd=tmp_path) == Config()
    assert strict_requested({}, tmp_path) is False


# -- the lookup order ---------------------------------------------------------------------------


def layers(tmp_path: Path) -> dict[str, Path]:
    """One config file per layer, each with its own mode, and a working directory below them."""
    root = tmp_path / "repo"
    cwd = root / "pkg"
    return {
        "explicit": write(tmp_path / "explicit.toml", 'mode = "observe"\n[redirects]\n"x" = "explicit"'),
        "env": write(tmp_path / "env.toml", 'mode = "error"\n[redirects]\n"x" = "env"'),
        "local": write(cwd / "ssot-runtime.toml", 'mode = "warn"\n[redirects]\n"x" = "local"'),
        "pyproject": write(
            root / "pyproject.toml",
            '[tool.ssot_runtime]\nmode = "redirect"\n[tool.ssot_runtime.redirects]\n"x" = "pyproject"',
        ),
        "cwd": cwd,
    }


def winner(config: Config) -> str:
    (rule,) = config.rules
    return rule.target


def test_explicit_argument_wins_over_everything(tmp_path: Path) -> None:
    files = layers(tmp_path)
    environ = {"SSOT_RUNTIME_CONFIG": str(files["env"])}
    config = load_config(files["explicit"], environ=environ, cwd=files["cwd"])
    assert (winner(config), config.mode, config.source) == ("explicit", "observe", str(files["explicit"]))
    assert winner(load_config({"redirects": {"x": "mapping"}}, environ=environ, cwd=files["cwd"])) == "mapping"
    given_config = Config(rules=(Rule("x", "given"),), source="given")
    assert load_config(given_config, environ=environ, cwd=files["cwd"]) is given_config


def test_env_path_wins_over_the_files_found(tmp_path: Path) -> None:
    files = layers(tmp_path)
    config = load_config(environ={"SSOT_RUNTIME_CONFIG": str(files["env"])}, cwd=files["cwd"])
    assert (winner(config), config.mode, config.source) == ("env", "error", str(files["env"]))


def test_env_path_to_a_pyproject_reads_its_section(tmp_path: Path) -> None:
    files = layers(tmp_path)
    config = load_config(environ={"SSOT_RUNTIME_CONFIG": str(files["pyproject"])}, cwd=files["cwd"])
    assert (winner(config), config.mode) == ("pyproject", "redirect")


def test_empty_env_path_is_not_set(tmp_path: Path) -> None:
    files = layers(tmp_path)
    assert winner(load_config(environ={"SSOT_RUNTIME_CONFIG": ""}, cwd=files["cwd"])) == "local"


def test_local_file_wins_over_pyproject(tmp_path: Path) -> None:
    files = layers(tmp_path)
    config = load_config(environ={}, cwd=files["cwd"])
    assert (winner(config), config.mode, config.source) == ("local", "warn", str(files["local"]))
    # also over a pyproject.toml with a section in the same folder
    write(files["cwd"] / "pyproject.toml", '[tool.ssot_runtime.redirects]\n"x" = "same-folder"')
    assert winner(load_config(environ={}, cwd=files["cwd"])) == "local"


def test_local_file_is_only_looked_for_in_the_working_directory(tmp_path: Path) -> None:
    files = layers(tmp_path)
    below = files["cwd"] / "sub"
    below.mkdir()
    config = load_config(environ={}, cwd=below)
    assert winner(config) == "pyproject"
    assert config.source == f"{files['pyproject']} [tool.ssot_runtime]"


def test_pyproject_section_in_the_working_directory(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", '[tool.ssot_runtime]\nwarn = "always"\n')
    config = load_config(environ={}, cwd=tmp_path)
    assert config.warn == "always"
    assert config.source == f"{pyproject} [tool.ssot_runtime]"


def test_pyproject_found_several_folders_up(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", '[tool.ssot_runtime.redirects]\n"a" = "b"\n')
    cwd = tmp_path / "a" / "b" / "c"
    cwd.mkdir(parents=True)
    config = load_config(environ={}, cwd=cwd)
    assert config.rules == (Rule("a", "b"),)
    assert str(pyproject) in config.source


def test_the_nearest_pyproject_decides_even_without_a_section(tmp_path: Path) -> None:
    files = layers(tmp_path)
    nested = files["cwd"] / "inner"
    write(nested / "pyproject.toml", '[project]\nname = "inner"\n')
    assert load_config(environ={}, cwd=nested) == Config()
    deeper = nested / "deeper"
    deeper.mkdir()
    assert load_config(environ={}, cwd=deeper) == Config()


def test_nothing_found_gives_the_defaults(tmp_path: Path) -> None:
    if any((folder / "pyproject.toml").exists() for folder in tmp_path.parents):
        pytest.skip("a pyproject.toml above the temporary folder")
    assert load_config(environ={}, cwd=tmp_path) == Config()
    assert load_config(environ={}, cwd=str(tmp_path)) == Config()


def test_environ_and_cwd_default_to_the_process_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = layers(tmp_path)
    monkeypatch.chdir(files["cwd"])
    monkeypatch.delenv("SSOT_RUNTIME_CONFIG", raising=False)
    monkeypatch.delenv("SSOT_RUNTIME_MODE", raising=False)
    monkeypatch.delenv("SSOT_RUNTIME_DISABLED", raising=False)
    assert winner(load_config()) == "local"
    monkeypatch.setenv("SSOT_RUNTIME_CONFIG", str(files["env"]))
    assert winner(load_config()) == "env"
    monkeypatch.setenv("SSOT_RUNTIME_MODE", "observe")
    monkeypatch.setenv("SSOT_RUNTIME_DISABLED", "1")
    config = load_config()
    assert (config.mode, config.disabled) == ("observe", True)
    # an explicit environ replaces os.environ entirely
    assert winner(load_config(environ={})) == "local"


# -- environment overrides ----------------------------------------------------------------------


def test_env_mode_overrides_every_layer(tmp_path: Path) -> None:
    files = layers(tmp_path)
    environ = {"SSOT_RUNTIME_MODE": "observe"}
    assert load_config(environ=environ, cwd=files["cwd"]).mode == "observe"
    assert load_config(files["env"], environ=environ).mode == "observe"
    assert load_config({"mode": "error"}, environ=environ).mode == "observe"
    original = Config(mode="warn")
    overridden = load_config(original, environ=environ)
    assert overridden.mode == "observe"
    assert original.mode == "warn"  # a copy, not the argument changed
    with_env_file = load_config(environ={**environ, "SSOT_RUNTIME_CONFIG": str(files["env"])}, cwd=files["cwd"])
    assert (winner(with_env_file), with_env_file.mode) == ("env", "observe")


def test_env_mode_does_not_replace_a_rule_mode() -> None:
    config = load_config(
        {"redirects": {"a": {"to": "b", "mode": "error"}, "c": "d"}}, environ={"SSOT_RUNTIME_MODE": "observe"}
    )
    assert [config.rule_mode(rule) for rule in config.rules] == ["error", "observe"]


def test_empty_env_mode_is_not_set() -> None:
    assert load_config({"mode": "warn"}, environ={"SSOT_RUNTIME_MODE": ""}).mode == "warn"


@pytest.mark.parametrize("value", ["loud", "WARN", " warn", "1"])
def test_bad_env_mode_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({}, environ={"SSOT_RUNTIME_MODE": value})
    assert info.value.key == "SSOT_RUNTIME_MODE"
    assert "SSOT_RUNTIME_MODE" in str(info.value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "Yes"])
def test_env_disabled(value: str) -> None:
    config = load_config({"mode": "warn"}, environ={"SSOT_RUNTIME_DISABLED": value})
    assert config.disabled is True
    assert config.mode == "warn"


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off", "2"])
def test_env_not_disabled(value: str) -> None:
    given_config = Config(mode="warn")
    config = load_config(given_config, environ={"SSOT_RUNTIME_DISABLED": value})
    assert config.disabled is False
    assert config is given_config


def test_env_disabled_still_validates_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "ssot-runtime.toml", 'mode = "loud"')
    with pytest.raises(ConfigError):
        load_config(path, environ={"SSOT_RUNTIME_DISABLED": "1"})


# -- rule_mode ---------------------------------------------------------------------------------

TODAY = dt.date(2026, 6, 15)
PAST = dt.date(2026, 6, 14)
FUTURE = dt.date(2026, 6, 16)


def test_rule_mode_is_the_rule_one_else_the_global_one() -> None:
    config = Config(mode="observe")
    assert config.rule_mode(Rule("a", "b"), today=TODAY) == "observe"
    for mode in MODES:
        assert config.rule_mode(Rule("a", "b", mode=mode), today=TODAY) == mode


@pytest.mark.parametrize(
    ("enforce", "global_mode", "rule_mode", "remove_after", "expected"),
    [
        pytest.param(True, "warn", None, PAST, "error", id="global-warn-past-deadline"),
        pytest.param(True, "redirect", "warn", PAST, "error", id="rule-warn-past-deadline"),
        pytest.param(True, "warn", None, TODAY, "warn", id="deadline-is-today"),
        pytest.param(True, "warn", None, FUTURE, "warn", id="deadline-ahead"),
        pytest.param(True, "warn", None, None, "warn", id="no-deadline"),
        pytest.param(False, "warn", None, PAST, "warn", id="deadlines-not-enforced"),
        pytest.param(False, "redirect", "warn", PAST, "warn", id="rule-warn-deadlines-not-enforced"),
        pytest.param(True, "redirect", None, PAST, "redirect", id="redirect-is-not-promoted"),
        pytest.param(True, "observe", None, PAST, "observe", id="observe-is-not-promoted"),
        pytest.param(True, "warn", "redirect", PAST, "redirect", id="rule-redirect-under-global-warn"),
        pytest.param(True, "warn", "observe", PAST, "observe", id="rule-observe-under-global-warn"),
        pytest.param(True, "redirect", "error", FUTURE, "error", id="rule-error-stays"),
    ],
)
def test_rule_mode_with_deadlines(
    enforce: bool, global_mode: str, rule_mode: str | None, remove_after: dt.date | None, expected: str
) -> None:
    config = Config(mode=global_mode, enforce_deadlines=enforce)
    rule = Rule("a", "b", mode=rule_mode, remove_after=remove_after)
    assert config.rule_mode(rule, today=TODAY) == expected


def test_rule_mode_deadlines_from_a_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ssot-runtime.toml",
        """
        mode = "warn"
        enforce_deadlines = true
        [redirects]
        "old" = { to = "new", remove_after = 2026-06-14 }
        "kept" = { to = "new2", remove_after = 2026-06-15 }
        "plain" = "new3"
        """,
    )
    config = load_config(path, environ={})
    assert [config.rule_mode(r, today=TODAY) for r in config.rules] == ["error", "warn", "warn"]
    assert [config.rule_mode(r, today=dt.date(2026, 6, 16)) for r in config.rules] == ["error", "error", "warn"]


def test_rule_mode_today_defaults_to_the_real_date() -> None:
    config = Config(mode="warn", enforce_deadlines=True)
    today = dt.date.today()
    assert config.rule_mode(Rule("a", "b", remove_after=today - dt.timedelta(days=1))) == "error"
    assert config.rule_mode(Rule("a", "b", remove_after=today + dt.timedelta(days=1))) == "warn"


# -- strict_requested ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("strict = true", True, id="strict"),
        pytest.param('strict = true\nmode = "loud"', True, id="strict-with-a-bad-mode"),
        pytest.param('strict = true\ncolour = 1\n[redirects]\n"a" = "a"', True, id="strict-with-bad-keys-and-rules"),
        pytest.param("strict = false", False, id="not-strict"),
        pytest.param('mode = "warn"', False, id="no-strict"),
        pytest.param('strict = "true"', False, id="strict-as-a-string"),
        pytest.param("strict = 1", False, id="strict-as-an-integer"),
        pytest.param("strict = true\nmode = ", False, id="invalid-toml"),
    ],
)
def test_strict_requested_by_the_local_file(tmp_path: Path, text: str, expected: bool) -> None:
    write(tmp_path / "ssot-runtime.toml", text)
    assert strict_requested({}, tmp_path) is expected
    assert strict_requested(environ={}, cwd=str(tmp_path)) is expected


def test_strict_requested_when_the_config_fails(tmp_path: Path) -> None:
    write(tmp_path / "ssot-runtime.toml", 'strict = true\n[redirects]\n"a" = "a"')
    with pytest.raises(ConfigError):
        load_config(environ={}, cwd=tmp_path)
    assert strict_requested({}, tmp_path) is True


def test_strict_requested_follows_the_lookup_order(tmp_path: Path) -> None:
    files = layers(tmp_path)
    strict = write(tmp_path / "strict.toml", "strict = true")
    assert strict_requested({}, files["cwd"]) is False  # the local file, not strict
    assert strict_requested({"SSOT_RUNTIME_CONFIG": str(strict)}, files["cwd"]) is True
    assert strict_requested({"SSOT_RUNTIME_CONFIG": str(files["env"])}, tmp_path / "elsewhere") is False
    write(files["cwd"] / "ssot-runtime.toml", "strict = true")
    assert strict_requested({}, files["cwd"]) is True
    assert strict_requested({"SSOT_RUNTIME_CONFIG": str(files["env"])}, files["cwd"]) is False


def test_strict_requested_by_a_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.ssot_runtime]\nstrict = true\nmode = "loud"\n')
    cwd = tmp_path / "src"
    cwd.mkdir()
    assert strict_requested({}, cwd) is True
    write(cwd / "pyproject.toml", "[project]\nname = 'inner'\n")
    assert strict_requested({}, cwd) is False  # the nearest pyproject has no section


def test_strict_not_requested_without_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert strict_requested({"SSOT_RUNTIME_CONFIG": str(missing)}, tmp_path) is False
    if not any((folder / "pyproject.toml").exists() for folder in tmp_path.parents):
        assert strict_requested({}, tmp_path) is False


def test_strict_requested_defaults_to_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "ssot-runtime.toml", "strict = true")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SSOT_RUNTIME_CONFIG", raising=False)
    assert strict_requested() is True
    monkeypatch.setenv("SSOT_RUNTIME_CONFIG", str(write(tmp_path / "lax.toml", "strict = false")))
    assert strict_requested() is False


# -- properties -----------------------------------------------------------------------------------

FIRST = "abcxyzAXZ_äöüßé"
IDENT = st.builds(str.__add__, st.sampled_from(FIRST), st.text(alphabet=FIRST + "0189", max_size=5))
DOTTED = st.lists(IDENT, min_size=1, max_size=3).map(".".join)
NOTES = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


@st.composite
def valid_rule_maps(draw: st.DrawFn) -> tuple[dict[str, Any], list[Rule]]:
    """Distinct legacy names under ``old.``, every target under ``new.``: no chain, no cycle."""
    legacy_names = draw(st.lists(DOTTED, min_size=1, max_size=8, unique=True))
    expected: dict[str, Rule] = {}
    modules: list[tuple[str, bool]] = []
    for name in legacy_names:
        prefix = draw(st.booleans())
        rule = Rule(
            f"old.{name}",
            f"new.{draw(DOTTED)}",
            prefix=prefix,
            mode=draw(st.none() | st.sampled_from(MODES)),
            note=draw(NOTES),
            remove_after=draw(st.none() | st.dates()),
        )
        expected[rule.key] = rule
        modules.append((rule.legacy, prefix))
    for module, prefix in draw(st.lists(st.sampled_from(modules), max_size=4)):
        if prefix and draw(st.booleans()):
            module = f"{module}.{draw(IDENT)}"  # a submodule of the prefix
        rule = Rule(module, f"new.{draw(DOTTED)}", symbol=draw(IDENT), target_symbol=draw(IDENT))
        expected.setdefault(rule.key, rule)
    rules = list(expected.values())
    order = draw(st.permutations(rules))
    redirects: dict[str, Any] = {}
    for rule in order:
        legacy, target = rule_text(rule)
        table: dict[str, Any] = {"to": target}
        if rule.mode is not None:
            table["mode"] = rule.mode
        if rule.note:
            table["note"] = rule.note
        if rule.remove_after is not None:
            table["remove_after"] = rule.remove_after
        redirects[legacy] = target if len(table) == 1 and draw(st.booleans()) else table
    return redirects, list(order)


def toml_string(text: str) -> str:
    """A TOML basic string: printable ASCII as is, everything else escaped."""
    return '"' + "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08X}" for c in text) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(v)}" for key, v in value.items()) + " }"
    assert isinstance(value, str)
    return toml_string(value)


@PROPERTY
@given(valid_rule_maps())
def test_valid_rule_maps_parse_and_round_trip(case: tuple[dict[str, Any], list[Rule]]) -> None:
    redirects, expected = case
    config = parse_config({"redirects": redirects}, source="generated")
    assert list(config.rules) == expected
    for rule, (legacy, value) in zip(config.rules, redirects.items(), strict=True):
        assert rule.key == legacy
        assert rule_text(rule) == (legacy, value if isinstance(value, str) else value["to"])
    text = "[redirects]\n" + "".join(f"{toml_string(k)} = {toml_value(v)}\n" for k, v in redirects.items())
    assert parse_config(tomllib.loads(text)).rules == config.rules


NAMEISH = st.text(alphabet="ab.*:X_1 -", max_size=8)
SCALARS = (
    st.text(max_size=10)
    | NAMEISH
    | st.integers()
    | st.booleans()
    | st.floats()
    | st.none()
    | st.dates()
    | st.datetimes()
    | st.times()
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)
RULE_VALUES = (
    NAMEISH
    | VALUES
    | st.dictionaries(
        st.sampled_from(["to", "mode", "note", "remove_after"]) | st.text(max_size=6),
        NAMEISH | st.sampled_from([*MODES, "2026-01-01"]) | VALUES,
        max_size=4,
    )
)
TOP_VALUES = {
    "mode": st.sampled_from(MODES) | VALUES,
    "strict": st.booleans() | VALUES,
    "enforce_deadlines": st.booleans() | VALUES,
    "warn": st.sampled_from(["once", "always"]) | VALUES,
    "skip_modules": st.lists(st.text(max_size=6), max_size=3) | VALUES,
    "redirects": st.dictionaries(NAMEISH, RULE_VALUES, max_size=5) | VALUES,
}


@st.composite
def arbitrary_configs(draw: st.DrawFn) -> dict[str, Any]:
    data = {key: draw(values) for key, values in TOP_VALUES.items() if draw(st.booleans())}
    data.update(draw(st.dictionaries(st.text(max_size=8), VALUES, max_size=2)))
    return data


@PROPERTY
@given(arbitrary_configs())
def test_arbitrary_mappings_parse_or_raise_config_error(data: dict[str, Any]) -> None:
    try:
        with time_limit():
            config = parse_config(data, source="fuzz.toml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.toml")
        assert exc.source == "fuzz.toml"
    else:
        assert isinstance(config, Config)
        assert set(data) <= {"mode", "strict", "enforce_deadlines", "warn", "skip_modules", "redirects"}


@PROPERTY
@given(st.text(max_size=60) | st.from_regex(r'(\[redirects\]\n)?("[ab.*:X]{1,5}" = "[ab.*:X]{1,5}"\n){0,4}'))
def test_arbitrary_files_load_or_raise_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_text(text, errors="surrogatepass")
    try:
        with time_limit():
            load_config(path, environ={})
    except ConfigError as exc:
        assert str(path) in str(exc)


# The cycle check against a plain model of the redirects: the longest match wins, an exact
# module rule first, then the longest package prefix ("a.b.*" covers "a.b" and "a.b.x").

SMALL = st.lists(st.sampled_from("abc"), min_size=1, max_size=3).map(".".join)


def follow(name: str, modules: Mapping[str, str], prefixes: Mapping[str, str], limit: int = 60) -> bool:
    """Whether the redirects from ``name`` end (False: a loop or a chain past ``limit``)."""
    seen = {name}
    for _ in range(limit):
        if name in modules:
            name = modules[name]
        else:
            parts = name.split(".")
            for size in range(len(parts), 0, -1):
                head = ".".join(parts[:size])
                if head in prefixes:
                    name = ".".join([prefixes[head], *parts[size:]])
                    break
            else:
                return True
        if name in seen:
            return False
        seen.add(name)
    return False


@PROPERTY
@given(st.lists(st.tuples(SMALL, SMALL, st.booleans()), min_size=1, max_size=5))
def test_cycles_are_refused_exactly(rules: list[tuple[str, str, bool]]) -> None:
    redirects = {f"{a}.*" if prefix else a: f"{b}.*" if prefix else b for a, b, prefix in rules}
    modules = {a: b for a, b in redirects.items() if not a.endswith(".*")}
    prefixes = {a[:-2]: b[:-2] for a, b in redirects.items() if a.endswith(".*")}
    names = {*modules, *modules.values(), *prefixes, *prefixes.values()}
    probes = names | {f"{n}.{tail}" for n in names for tail in ("a", "c", "z", "a.b", "z.z")}
    try:
        with time_limit():
            parse_config({"redirects": redirects})
    except ConfigError as exc:
        assume("cycle" in str(exc))
        assert not all(follow(name, modules, prefixes) for name in probes), redirects
    else:
        assert all(follow(name, modules, prefixes) for name in probes), redirects
