"""One pytest session under the hook: what it saw in each phase, the phases file, the summary."""

from __future__ import annotations

import os

import pytest

from . import xdist
from .phases import PHASES, PHASES_SCHEMA, TOP_SITES, minus, site_counts, site_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..analysis.check import CheckResult
    from ..hook.hook import BaseHook as Hook
    from ..hook.recorder import UseRecord
    from .phases import SiteKey


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
        self._before = site_counts(hook.snapshot()) if not owned else {}
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
            self._collected = site_counts(self.hook.snapshot())

    def session_finished(self, session: pytest.Session) -> None:
        import time

        if self.finished:
            return
        self.finished = True
        self.finished_ns = time.time_ns()
        records = self.hook.snapshot()
        final = site_counts(records)
        collected = final if self._collected is None else self._collected  # no tests ran without it
        self.phases["collection"] = minus(collected, self._before)
        self.phases["tests"] = minus(final, collected)
        used = set(self.phases["collection"]) | set(self.phases["tests"])
        self.records = {site_key(r): r for r in records if site_key(r) in used}
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # a pytest-xdist worker: the controller adds it to its own
            workeroutput["ssot_runtime"] = xdist.payload(self)
        for payload in self.workers:
            xdist.merge(self, payload)
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
        from ..traces.coverage import iso

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
            self.hook.note_at_exit()  # files loaded under two names during the session (audit --traces)
            self.hook.leave_evidence()  # a session without a legacy use is evidence too, for `check`
            self.hook.uninstall()

