"""The recorder: one counter per use site, exact under threads, cheap on the hot path.

A site's hot path is one call of ``itertools.count().__next__``: a C call that increments under
the GIL without a lock, so concurrent threads never lose a count. Everything else (first and
last time, function name, canonical names) is set once when the site is first seen.
"""

from __future__ import annotations

import itertools
import time
from _thread import allocate_lock

from ..record import Record
from .frames import function_name

TYPE_CHECKING = False
if TYPE_CHECKING:  # no typing import at run time: this module loads at interpreter start-up
    from collections.abc import Callable
    from types import CodeType, FrameType
    from typing import Any

    SiteKey = tuple[str, str | None, str, int, str]

_NO_FRAME = ("<command line>", 0, "<module>")  # no user frame: `python -m legacy.module`
_WHERE_CACHE_SIZE = 100_000
_PENDING_LIMIT = 10_000


class UseRecord(Record):
    """Uses of one legacy name at one site (legacy module, symbol, file, line, function)."""

    _fields = ("legacy", "symbol", "file", "line", "function", "canonical", "canonical_symbol", "mode",
               "count", "first_seen", "last_seen")
    __slots__ = _fields
    legacy: str
    symbol: str | None
    file: str
    line: int
    function: str
    canonical: str
    canonical_symbol: str | None
    mode: str
    count: int
    first_seen: float
    last_seen: float

    def __init__(self, legacy: str, symbol: str | None, file: str, line: int, function: str, canonical: str,
                 canonical_symbol: str | None, mode: str, count: int, first_seen: float, last_seen: float) -> None:
        self._init(legacy, symbol, file, line, function, canonical, canonical_symbol, mode, count, first_seen,
                   last_seen)


class ImportTiming(Record):
    """A first import of a legacy module in this process: how long loading the canonical took."""

    _fields = ("legacy", "canonical", "mode", "file", "line", "function", "start_ns", "end_ns", "error")
    __slots__ = _fields
    legacy: str
    canonical: str
    mode: str
    file: str
    line: int
    function: str
    start_ns: int
    end_ns: int
    error: str | None

    def __init__(self, legacy: str, canonical: str, mode: str, file: str, line: int, function: str,
                 start_ns: int, end_ns: int, error: str | None = None) -> None:
        self._init(legacy, canonical, mode, file, line, function, start_ns, end_ns, error)

    @property
    def seconds(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


class FrameInfo:
    """What is kept of a frame to classify a use later: its code, offset and globals."""

    __slots__ = ("f_code", "f_globals", "f_lasti")

    def __init__(self, code: CodeType, lasti: int, f_globals: dict[str, Any]) -> None:
        self.f_code = code
        self.f_lasti = lasti
        self.f_globals = f_globals

    @property
    def f_lineno(self) -> int:
        line = 0
        for start, end, number in self.f_code.co_lines():
            if start <= self.f_lasti < end:
                return number or line
            line = number or line
        return line


class _Site:
    __slots__ = (
        "_base",
        "_counter",
        "_seen_count",
        "canonical",
        "canonical_symbol",
        "first_seen",
        "hit",
        "key",
        "last_seen",
        "mode",
    )

    def __init__(self, key: SiteKey, canonical: str, canonical_symbol: str | None, mode: str,
                 now: float) -> None:
        self.key = key
        self.canonical = canonical
        self.canonical_symbol = canonical_symbol
        self.mode = mode
        self._counter = itertools.count()
        self.hit: Callable[[], object] = self._counter.__next__
        self.first_seen = self.last_seen = now
        self._seen_count = 0
        self._base = 0

    def count(self) -> int:
        # repr is "count(N)": N calls so far; reading it never races with __next__.
        return int(repr(self._counter)[6:-1]) - self._base


class Recorder:
    """All use sites of one installed hook, and the first-import timings."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # First imports are timed with perf_counter_ns (cheap, monotonic) and turned into wall
        # clock times when read, with this offset taken once.
        self._wall_offset = time.time_ns() - time.perf_counter_ns()
        self._lock = allocate_lock()
        self._sites: dict[SiteKey, _Site] = {}
        self._imports: list[tuple[Any, ...]] = []
        # First imports whose use is classified when records are read (see `defer`).
        self._pending: list[tuple[Any, ...]] = []
        # Called once, at the first use in this recorder's life (telemetry starts then).
        self.on_first_use: Callable[[], object] | None = None
        self._used = False
        self._where: dict[tuple[int, int], tuple[CodeType, tuple[str, int, str]]] = {}

    def site(self, legacy: str, symbol: str | None, canonical: str, canonical_symbol: str | None,
             mode: str, where: tuple[str, int, str], seen: float | None = None) -> _Site:
        """The site for a use at ``where`` (see :meth:`where`); ``seen``: when, if not now."""
        key: SiteKey = (legacy, symbol, *where)
        site = self._sites.get(key)
        if site is None:
            with self._lock:
                site = self._sites.get(key)
                if site is None:
                    when = self._clock() if seen is None else seen
                    site = self._sites[key] = _Site(key, canonical, canonical_symbol, mode, when)
            if not self._used:
                self._first_use()
        return site

    def _first_use(self) -> None:
        self._used = True
        if self.on_first_use is not None:
            self.on_first_use()

    def where(self, frame: FrameType | None) -> tuple[str, int, str]:
        """``(file, line, function)`` of a frame's current position, cached by code and offset.

        ``frame.f_lineno`` decodes the line table from the start of the code object: worth
        doing once per position, not once per use.
        """
        if frame is None:
            return _NO_FRAME
        code = frame.f_code
        cache_key = (id(code), frame.f_lasti)
        entry = self._where.get(cache_key)
        if entry is None or entry[0] is not code:
            if len(self._where) > _WHERE_CACHE_SIZE:
                self._where.clear()
            where = (code.co_filename, frame.f_lineno or 0, function_name(frame))
            entry = self._where[cache_key] = (code, where)
        return entry[1]

    def now(self) -> float:
        return self._clock()

    def defer(self, process: Callable[..., object], *args: Any) -> None:
        """Run ``process(*args)`` before records are next read, not now, on an import's hot path."""
        self._pending.append((process, args))  # list.append is atomic
        if not self._used:
            self._first_use()
        if len(self._pending) > _PENDING_LIMIT:
            self.drain()

    def drain(self) -> None:
        """Process what :meth:`defer` kept; appends made meanwhile by other threads stay queued."""
        pending = self._pending
        count = len(pending)
        batch = pending[:count]
        del pending[:count]  # one C call each: an append in between lands after `count`
        for process, args in batch:
            process(*args)

    def record_import(self, *fields: Any) -> None:
        """Note a first import: :class:`ImportTiming`'s fields, in order, with perf_counter_ns times."""
        self._imports.append(fields)  # list.append is atomic; the dataclass is built on read

    def snapshot(self) -> tuple[UseRecord, ...]:
        """The records so far, sorted by legacy module, symbol, file and line.

        ``last_seen`` is the time of the snapshot in which a site's count was first seen to grow
        (or ``first_seen`` for a single use): exact timestamps would cost a clock read per use.
        """
        self.drain()
        now = self._clock()
        with self._lock:
            sites = list(self._sites.values())
        records = []
        for site in sites:
            count = site.count()
            if count == 0:
                continue
            if count > site._seen_count:
                if site._seen_count or count > 1:
                    site.last_seen = max(now, site.first_seen)
                site._seen_count = count
            legacy, symbol, file, line, function = site.key
            records.append(UseRecord(legacy, symbol, file, line, function, site.canonical,
                                     site.canonical_symbol, site.mode, count, site.first_seen,
                                     site.last_seen))
        records.sort(key=lambda r: (r.legacy, r.symbol or "", r.file, r.line, r.function))
        return tuple(records)

    def import_timings(self) -> tuple[ImportTiming, ...]:
        self.drain()
        offset = self._wall_offset
        timings = []
        for legacy, canonical, mode, file, line, function, start, end, *error in list(self._imports):
            timings.append(ImportTiming(legacy, canonical, mode, file, line, function, start + offset,
                                        end + offset, error[0] if error else None))
        return tuple(timings)

    def after_fork(self) -> None:
        """In a forked child: a fresh lock (another thread may have held it at the fork), then reset."""
        self._lock = allocate_lock()
        self.reset()

    def reset(self) -> None:
        """Start every count from zero and forget the timings (a forked child does this).

        Counters stay in place (hot paths hold them); each remembers its count at the reset.
        """
        self.drain()
        with self._lock:
            for site in self._sites.values():
                site._base += site.count()
                site._seen_count = 0
            self._imports.clear()
