"""The pytest plugin (entry point ``pytest11``): ``pytest --ssot-runtime[=CONFIG]``.

Without ``--ssot-runtime`` the plugin only declares its options: nothing is installed and nothing
more is imported. With it, the hook is installed before the initial conftests load (so that
collection-time imports are seen) and uninstalled when pytest unconfigures. Uses made until the
end of collection and uses made afterwards (fixtures, test bodies, teardown) are told apart: the
terminal summary shows both, and ``<output>/pytest-phases.json`` holds per-site counts for each.
``--ssot-strict`` fails the session when legacy uses go beyond ``--ssot-baseline`` (nothing is
allowed without one). See docs/workflow-tools.md.
"""

from __future__ import annotations

import os

import pytest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..analysis.check import CheckResult
    from ..hook.hook import Hook
    from ..hook.recorder import UseRecord

    SiteKey = tuple[str, str | None, str, int, str]

PHASES_SCHEMA = "ssot-runtime/pytest-phases/v1"
PHASES = ("collection", "tests")
TOP_SITES = 5


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ssot-runtime", "legacy import paths (ssot-runtime)")
    group.addoption("--ssot-runtime", action="store", nargs="?", const="", default=None, metavar="CONFIG",
                    help="Install the ssot-runtime hook for the test session (optionally with this config; "
                         "write --ssot-runtime=CONFIG).")
    group.addoption("--ssot-strict", action="store_true", default=False,
                    help="Fail the session when legacy paths are used beyond --ssot-baseline "
                         "(any use, without a baseline).")
    group.addoption("--ssot-baseline", action="store", default=None, metavar="FILE",
                    help="The uses allowed: a baseline as written by `ssot-runtime check --write-baseline`.")
    group.addoption("--ssot-write-baseline", action="store", default=None, metavar="FILE",
                    help="Write the session's uses as a baseline (paths relative to the rootdir).")


def _key(record: UseRecord) -> SiteKey:
    return (record.legacy, record.symbol, record.file, record.line, record.function)


def _counts(records: tuple[UseRecord, ...]) -> dict[SiteKey, int]:
    return {_key(r): r.count for r in records}


def _minus(later: dict[SiteKey, int], earlier: dict[SiteKey, int]) -> dict[SiteKey, int]:
    out = {}
    for key, count in later.items():
        grown = count - earlier.get(key, 0)
        if grown > 0:
            out[key] = grown
    return out


class SessionUses:
    """The hook of one pytest session and what it saw in each phase."""

    def __init__(self, config: pytest.Config, opt: Any, hook: Hook, *, owned: bool,
                 baseline: dict[str, Any] | None = None) -> None:
        import time

        self.config = config
        self.hook = hook
        self.owned = owned  # installed by us (uninstalled by us), or already active in the process
        self.started_ns = time.time_ns()
        self.finished_ns = 0
        # A hook that was already active (`ssot-runtime run -- pytest ...`) may have counted uses
        # before the session: those belong to no phase.
        self._before = _counts(hook.snapshot()) if not owned else {}
        self._collected: dict[SiteKey, int] | None = None
        self.records: dict[SiteKey, UseRecord] = {}
        self.phases: dict[str, dict[SiteKey, int]] = {phase: {} for phase in PHASES}
        self.check: CheckResult | None = None
        self.failed_strict = False
        self.phases_path: str | None = None
        self.problems: list[str] = []
        self.finished = False
        self.baseline_written = False
        self.strict = bool(getattr(opt, "ssot_strict", False))
        self.baseline_path: str | None = getattr(opt, "ssot_baseline", None)
        self.write_baseline_path: str | None = getattr(opt, "ssot_write_baseline", None)
        self.baseline = baseline
        self.workers: list[dict[str, Any]] = []  # pytest-xdist: what each finished worker sent
        self.processes: dict[SiteKey, set[str]] = {}

    @property
    def output(self) -> str:
        return os.path.abspath(self.hook.config.output)

    # -- phases ----------------------------------------------------------------------------
    def collection_finished(self) -> None:
        if self._collected is None:
            self._collected = _counts(self.hook.snapshot())

    def session_finished(self, session: pytest.Session) -> None:
        import time

        if self.finished:
            return
        self.finished = True
        self.finished_ns = time.time_ns()
        records = self.hook.snapshot()
        final = _counts(records)
        collected = final if self._collected is None else self._collected  # no tests ran without it
        self.phases["collection"] = _minus(collected, self._before)
        self.phases["tests"] = _minus(final, collected)
        used = set(self.phases["collection"]) | set(self.phases["tests"])
        self.records = {_key(r): r for r in records if _key(r) in used}
        from . import xdist as _xdist

        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # a pytest-xdist worker: the controller adds it to its own
            workeroutput["ssot_runtime"] = _xdist.payload(self)
        for payload in self.workers:
            _xdist.merge(self, payload)
        if self.hook.installed:
            try:
                self.hook.flush()
            except Exception as exc:  # telemetry must never fail the tests
                self.problems.append(f"flushing telemetry failed: {type(exc).__name__}: {exc}")
        report = self.report()
        if self.write_baseline_path:
            from ..analysis.check import write_baseline

            try:
                write_baseline(report, self.write_baseline_path)
                self.baseline_written = True
            except OSError as exc:
                self.problems.append(f"cannot write the baseline {self.write_baseline_path}: {exc}")
        if self.strict or self.baseline is not None:
            from ..analysis.check import check

            self.check = check(report, self._normalised_baseline(), None)
            if self.strict and not self.check.ok:
                self.failed_strict = True
                if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.write_phases(int(session.exitstatus))

    def uses(self, key: SiteKey, phase: str | None = None) -> int:
        if phase is not None:
            return self.phases[phase].get(key, 0)
        return sum(self.phases[p].get(key, 0) for p in PHASES)

    # -- the report, as `ssot-runtime report` builds it ------------------------------------
    @property
    def root(self) -> str:
        """Site keys are relative to the configuration file's folder (as in every command), else the rootdir."""
        from ..cli.read import config_file

        found = config_file(self.hook.config)
        return os.path.dirname(found) if found else str(self.config.rootpath)

    def mapper(self) -> Any:
        from ..analysis.report import PathMapper

        return PathMapper([], self.root)

    def report(self) -> dict[str, Any]:
        """The ``ssot-runtime/report/v1`` document of the session's uses (paths relative to the rootdir)."""
        from ..analysis.report import build_report
        from ..traces.read import Aggregate, Site

        agg = Aggregate()
        service = self.hook.config.service_name or "pytest"
        for key, record in self.records.items():
            agg.sites[key] = Site(*key, canonical=record.canonical, canonical_symbol=record.canonical_symbol,
                                  uses=self.uses(key), first_seen=int(record.first_seen * 1e9),
                                  last_seen=int(record.last_seen * 1e9), services={service},
                                  processes=self.processes.get(key, {str(os.getpid())}))
        return build_report(agg, mapper=self.mapper())

    def _normalised_baseline(self) -> dict[str, Any] | None:
        """The baseline with absolute paths under the rootdir made relative, as the report's are."""
        from ..analysis.check import normalise

        return None if self.baseline is None else normalise(self.baseline, self.mapper())

    # -- the phases file -------------------------------------------------------------------
    def phases_document(self, exitstatus: int) -> dict[str, Any]:
        from ..analysis.report import iso

        sites = []
        for key, record in sorted(self.records.items(), key=lambda item: (-self.uses(item[0]), item[0][2],
                                                                           item[0][3], item[0][1] or "")):
            sites.append({
                "legacy": record.legacy, "symbol": record.symbol, "canonical": record.canonical,
                "canonical_symbol": record.canonical_symbol, "file": record.file, "line": record.line,
                "function": record.function, "mode": record.mode,
                **{phase: self.uses(key, phase) for phase in PHASES}, "uses": self.uses(key),
            })
        totals: dict[str, Any] = {phase: {"uses": sum(self.phases[phase].values()), "sites": len(self.phases[phase])}
                                  for phase in PHASES}
        totals["session"] = {"legacy_paths": len({r.legacy for r in self.records.values()}),
                             "sites": len(self.records), "uses": sum(self.uses(k) for k in self.records)}
        return {
            "schema": PHASES_SCHEMA,
            "rootdir": str(self.config.rootpath),
            "pid": os.getpid(),
            "worker": os.environ.get("PYTEST_XDIST_WORKER"),
            "started": iso(self.started_ns),
            "finished": iso(self.finished_ns),
            "exitstatus": exitstatus,
            "strict": None if self.check is None else {
                "baseline": self.baseline_path, "ok": self.check.ok, "offending": self.check.offending,
                "gone": self.check.gone},
            "totals": totals,
            "sites": sites,
        }

    def write_phases(self, exitstatus: int) -> None:
        import json

        worker = os.environ.get("PYTEST_XDIST_WORKER")
        name = f"pytest-phases-{worker}.json" if worker else "pytest-phases.json"
        path = os.path.join(self.output, name)
        # One line: `ssot-runtime report` reads the folder's *.json files as OTLP/JSON lines, and a
        # one-line object without resourceMetrics is read as an empty batch, not a broken line.
        text = json.dumps(self.phases_document(exitstatus), separators=(",", ":")) + "\n"
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            os.makedirs(self.output, mode=0o700, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            self.problems.append(f"cannot write {path}: {exc}")
            return
        self.phases_path = path

    # -- the terminal summary --------------------------------------------------------------
    def summary(self, terminal: Any) -> None:
        terminal.write_sep("=", "ssot-runtime")
        if not self.hook.installed and self.owned:
            terminal.write_line("hook not installed: SSOT_RUNTIME_DISABLED is set (nothing is recorded)")
        from ..traces.coverage import plural

        mapper = self.mapper()
        totals = {phase: (sum(self.phases[phase].values()), len(self.phases[phase])) for phase in PHASES}
        uses = sum(self.uses(k) for k in self.records)
        legacy_paths = len({r.legacy for r in self.records.values()})
        if not self.records:
            terminal.write_line("no legacy uses")
        else:
            split = "; ".join(f"{phase}: {plural(n, 'use')} at {plural(count, 'site')}"
                              for phase, (n, count) in totals.items())
            terminal.write_line(f"{plural(legacy_paths, 'legacy path')}, {plural(len(self.records), 'site')}, "
                                f"{plural(uses, 'use')} ({split})")
            top = sorted(self.records.items(), key=lambda item: (-self.uses(item[0]), item[0][2], item[0][3]))
            terminal.write_line(f"top sites ({min(TOP_SITES, len(top))} of {len(top)}):")
            for key, record in top[:TOP_SITES]:
                used = record.legacy + (f":{record.symbol}" if record.symbol else "")
                terminal.write_line(
                    f"  {mapper(record.file)}:{record.line}  {used} in {record.function}: "
                    f"{plural(self.uses(key), 'use')} "
                    f"(collection {self.uses(key, 'collection')}, tests {self.uses(key, 'tests')})")
        if "local" in self.hook.config.exporters and self.records:
            terminal.write_line(f"traces in {self.output}")
        if self.phases_path:
            terminal.write_line(f"phases in {self.phases_path}")
        if self.baseline_written:
            terminal.write_line(f"baseline written to {self.write_baseline_path} (site keys relative to {self.root})")
        for problem in self.problems:
            terminal.write_line(f"warning: {problem}", yellow=True)
        if self.check is not None:
            against = f"baseline {self.baseline_path}" if self.baseline_path else "no baseline: nothing is allowed"
            if self.check.ok:
                terminal.write_line(f"legacy uses within the baseline ({against})", green=True)
            else:
                label = "strict: session failed" if self.failed_strict else "not failing (no --ssot-strict)"
                terminal.write_line(f"{self.check.describe()} beyond the baseline ({against}); {label}:", red=True)
                for line in self.check.offending:
                    terminal.write_line(f"  {line}", red=self.failed_strict)
            if self.check.gone:
                terminal.write_line(f"{plural(len(self.check.gone), 'site')} of the baseline were not seen in "
                                    "this session")

    def close(self) -> None:
        if self.owned:
            self.hook.leave_evidence()  # a session without a legacy use is evidence too, for `check`
            self.hook.uninstall()


_KEY: pytest.StashKey[SessionUses] = pytest.StashKey()


def _start(config: pytest.Config, opt: Any) -> None:
    """Install the hook for the session (once), if ``--ssot-runtime`` was given in ``opt``."""
    if _KEY in config.stash:
        return
    value = getattr(opt, "ssot_runtime", None)
    if value is None:
        if getattr(opt, "ssot_strict", False) or getattr(opt, "ssot_baseline", None) or \
                getattr(opt, "ssot_write_baseline", None):
            raise pytest.UsageError("--ssot-strict, --ssot-baseline and --ssot-write-baseline need --ssot-runtime")
        return
    if value and (value.endswith(".py") or os.path.isdir(value)):
        raise pytest.UsageError(f"--ssot-runtime took {value!r} as its configuration file: write "
                                "--ssot-runtime=CONFIG, or put --ssot-runtime after the test paths")
    if getattr(opt, "ssot_strict", False) and getattr(opt, "numprocesses", None) and \
            not os.environ.get("PYTEST_XDIST_WORKER"):
        raise pytest.UsageError("--ssot-strict does not support pytest-xdist yet: run with -n 0 or -p no:xdist")
    import ssot_runtime
    from ssot_runtime.errors import ConfigError, SsotRuntimeError

    baseline = None
    if getattr(opt, "ssot_baseline", None):
        from ..analysis.check import read_baseline

        try:
            baseline = read_baseline(opt.ssot_baseline)
        except SsotRuntimeError as exc:
            raise pytest.UsageError(f"--ssot-baseline: {exc}") from None
    existing = ssot_runtime.active_hook()
    if existing is not None:  # `ssot-runtime run -- pytest --ssot-runtime`: the process has one already
        uses = SessionUses(config, opt, existing, owned=False, baseline=baseline)
    else:
        try:
            cfg = ssot_runtime.load_config(value or None)
        except ConfigError as exc:
            raise pytest.UsageError(f"--ssot-runtime: {exc}") from None
        # Absolute now: a test that changes the working directory must not move the traces.
        cfg = cfg.replace(output=os.path.abspath(cfg.output))
        uses = SessionUses(config, opt, ssot_runtime.install(cfg), owned=True, baseline=baseline)
    config.stash[_KEY] = uses
    config.add_cleanup(uses.close)  # also when the session ends before pytest_unconfigure


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # The command line is parsed in full later: options are in known_args_namespace for now.
    _start(early_config, early_config.known_args_namespace)  # before the initial conftests import anything


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _start(config, config.option)  # when loaded too late for the hook above (pytest_plugins in a conftest)


def pytest_collection_finish(session: pytest.Session) -> None:
    uses = session.config.stash.get(_KEY, None)
    if uses is not None:
        uses.collection_finished()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    uses = session.config.stash.get(_KEY, None)
    if uses is not None:
        uses.session_finished(session)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist, in the controller: a worker finished; keep what it counted for the summary."""
    uses = node.config.stash.get(_KEY, None)
    payload = getattr(node, "workeroutput", {}).get("ssot_runtime")
    if uses is not None and payload is not None:
        uses.workers.append(payload)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    uses = config.stash.get(_KEY, None)
    if uses is not None and uses.finished:
        uses.summary(terminalreporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    uses = config.stash.get(_KEY, None)
    if uses is not None:
        uses.close()
