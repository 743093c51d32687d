"""The slow paths of recording: the first read at each site decides what reads there do.

A mixin of :class:`~ssot_runtime.hook.binding.Binding`. Each method runs once per site (a code
object and an instruction), never per use: the properties of :mod:`ssot_runtime.hook.proxy`
count the later reads at a known site themselves.
"""

from __future__ import annotations

import sys

from ..errors import LegacyImportError, LegacyImportWarning
from . import calls as _calls
from . import proxy
from .bytecode import from_import_offset, import_statement, is_attribute_read, is_star_import
from .callers import _implicit_parent_import, _patch_restore, _resolved_for_a_patch, _where
from .frames import MACHINE, SKIP
from .recorder import FrameInfo
from .serving import BindingState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, FrameType, ModuleType
    from typing import Any

    from ..config import Rule
    from .ports import Host

    Action = Callable[[], object]

_getframe = sys._getframe
# What we raise on purpose (error mode, warnings turned into errors by the user's filters) goes
# through the guards that swallow our own internal errors.
_INTENDED = (LegacyImportError, LegacyImportWarning)


class UseRecording(BindingState):
    """Recording a legacy module's uses: sites, warnings, refusals, first imports."""

    __slots__ = ()

    if TYPE_CHECKING:  # served by the NameServing half
        def upgrade(self) -> type[proxy.LegacyModule]: ...
        def peek(self, name: str) -> Any: ...
        def unrefused(self, name: str) -> Any: ...

    # -- recording: the slow paths -------------------------------------------------------
    def new_site(self, table: proxy.SiteTable, attr: str, frame: FrameType) -> None:
        """First read of ``attr`` at this frame's position: decide what reads there do, count this one."""
        try:
            kind = self.hook.classifier.kind(frame)
            if kind == MACHINE:
                proxy.remember(table, frame, proxy._noop)
                return
            if kind == SKIP:
                if _patch_restore(frame):  # mock.patch's exit checking what it restored: not a use
                    proxy.remember(table, frame, proxy._noop)
                    return
                proxy.remember(table, frame, self._walker(attr))
                self._name_use(attr, self.hook.classifier.caller(frame))()
                return
            action = self._name_use(attr, frame)
            proxy.remember(table, frame, action)
            action()
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def record(self, attr: str | None, frame: FrameType | None) -> None:
        """One use of ``attr`` by the user at or above ``frame`` (no caching: rare paths)."""
        try:
            self.use(attr, self.hook.classifier.caller(frame))()
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def _walker(self, attr: str) -> Action:
        caller = self.hook.classifier.caller
        use = self._name_use

        def walk() -> None:
            use(attr, caller(_getframe(2)))()

        return walk

    def _name_use(self, attr: str, user: FrameType | None) -> Action:
        """A read of ``attr`` by the user: a use, except ``from legacy import *`` reading every name."""
        return proxy._noop if user is not None and is_star_import(user) else self.use(attr, user)

    def use(self, attr: str | None, frame: FrameType | None, seen: float | None = None) -> Action:
        """The action that counts one use of ``attr`` at the user frame ``frame``."""
        rule = self.renames.get(attr) if attr is not None else None
        if rule is not None:
            canonical, canonical_symbol, mode = self.symbol_target(rule)
        else:
            canonical, canonical_symbol, mode = self.canonical_name, attr, self.mode
        recorder = self.hook.recorder
        site = recorder.site(self.legacy, attr, canonical, canonical_symbol, mode, recorder.where(frame), seen)
        if mode != "warn" or frame is None:
            return site.hit
        note = (rule.note if rule is not None else "") or self.rule.note
        message = self._message(attr, canonical, canonical_symbol, note)
        if self.hook.config.warn == "always":
            warn = self.hook.warn

            def hit_and_warn() -> None:
                site.hit()
                warn(message, frame, always=True)

            return hit_and_warn
        if self.hook.first_warning(site.key):
            try:
                self.hook.warn(message, frame, always=False)
            except LegacyImportWarning:  # -W error: raised at the user's line, and the use still counts
                site.hit()
                raise
        return site.hit

    def symbol_target(self, rule: Rule) -> tuple[str, str | None, str]:
        """Where a renamed symbol goes and the mode its uses run in (the rule's own, else the module's)."""
        return rule.target, rule.target_symbol, self.hook.config.rule_mode(rule) if rule.mode else self.mode

    def _message(self, attr: str | None, canonical: str, canonical_symbol: str | None, note: str) -> str:
        old = f"{self.legacy}.{attr}" if attr else self.legacy
        new = f"{canonical}.{canonical_symbol}" if canonical_symbol else canonical
        text = f"{old!r} is a legacy import path; use {new!r} instead"
        return f"{text} ({note})" if note else text

    def spec_read(self, frame: FrameType,
                  cache: proxy.SiteTable | None) -> None:
        """A read of ``__spec__``: an import statement finding the module cached, or a plain read."""
        try:
            classifier = self.hook.classifier
            kind = classifier.kind(frame)
            if kind == MACHINE:
                # importlib.import_module() of a cached module reads it in _find_and_load.
                if frame.f_code.co_name == "_find_and_load" and not _implicit_parent_import(frame):
                    user = classifier.caller(frame)
                    if not _resolved_for_a_patch(frame, user):
                        self.statement_action(user, called=True)()
                return
            if kind == SKIP:
                self.statement_action(classifier.caller(frame), called=not is_attribute_read(frame))()
                return
            action = self.statement_action(frame, called=not is_attribute_read(frame))
            if cache is not None:
                proxy.remember(cache, frame, action)
            action()
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def statement_action(self, frame: FrameType | None, *, called: bool, seen: float | None = None) -> Action:
        """What an import of this module by the user at ``frame`` counts: a module use, or nothing."""
        if frame is None:
            return proxy._noop
        statement = import_statement(frame)
        if statement is None:
            # import_module() / __import__() count; a plain `legacy.__spec__` read does not, nor
            # getattr(legacy, "__spec__") (Django's autoreloader, inspect.getmembers).
            return self.use(None, frame, seen) if called and not _calls.reads_an_attribute(frame) else proxy._noop
        name, fromlist = statement
        if name == self.legacy and (fromlist is None or fromlist == ("*",)):  # `from legacy import *`: the module
            return self.use(None, frame, seen)
        parent, _, leaf = self.legacy.rpartition(".")
        if fromlist and name == parent and leaf in fromlist and parent not in self.hook.bindings:
            # `from real_package import legacy_child`: the child is bound on a package we do not
            # own, so only the statement's first execution in a process is seen (documented).
            return self.use(None, frame, seen)
        return proxy._noop

    def submodule_read(self, child: ModuleType, frame: FrameType, cache: proxy.SiteTable | None) -> None:
        """A read of a legacy child on this legacy parent: ``from parent import child`` is a use."""
        try:
            classifier = self.hook.classifier
            kind = classifier.kind(frame)
            action: Action = proxy._noop
            child_binding = self.hook.bindings.get(child.__name__)
            if kind != MACHINE and child_binding is not None and from_import_offset(frame) is not None:
                user = classifier.caller(frame)
                action = child_binding.use(None, user)
                if kind == SKIP:
                    action()
                    return
            if cache is not None:
                proxy.remember(cache, frame, action)
            action()
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def first_import(self, frame: FrameType | None, *, count: bool = True, user_known: bool = False) -> None:
        """Record the import that loaded this module: its use, and how long loading took.

        ``count`` is false for the implicit import of a parent package, which is not a use;
        ``user_known``: ``frame`` is the user's own (no frame to walk past).
        """
        try:
            if user_known:  # `loaded` found the user's frame itself (3.12+, the usual stacks)
                user = frame
            else:
                user = self.hook.classifier.caller(frame)
                count = count and not _resolved_for_a_patch(frame, user)
            if user is not None and self.mode != "warn":
                # Classifying the statement and finding the site can wait until records are read:
                # keep what the frame says now, off the import's path.
                recorder = self.hook.recorder
                # The binding's name, not the binding: a module imported again and again must not
                # be kept alive (with its dict and spec) until records are read.
                start, end = self.load_ns
                recorder.defer_call((_record_deferred, self.hook, self.legacy, user.f_code, user.f_lasti,
                                     user.f_globals, count, start, end, recorder.now()))
            else:
                self.record_first_import(user, count, self.load_ns)
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def record_first_import(self, user: FrameType | FrameInfo | None, count: bool, load_ns: tuple[int, int],
                            seen: float | None = None) -> None:
        """The use and the timing of a first import (see :meth:`first_import`)."""
        try:
            if user is not None and count:
                self.statement_action(user, called=True, seen=seen)()  # type: ignore[arg-type]
            recorder = self.hook.recorder
            where = recorder.where(user)  # type: ignore[arg-type]
            recorder.record_import(self.legacy, self.canonical_name, self.mode, *where, *load_ns)
            from ..log import log

            log("info", "first use of a legacy module", legacy=self.legacy, canonical=self.canonical_name,
                mode=self.mode, file=where[0], line=where[1])
        except _INTENDED:
            raise
        except Exception:
            self.hook.internal_error()

    def refuse_symbol(self, attr: str, frame: FrameType) -> Any:
        classifier = self.hook.classifier
        user = classifier.caller(frame)
        if classifier.kind(frame) == MACHINE or (user is not None and is_star_import(user)):
            return self.unrefused(attr)  # introspection (inspect) or a star import: no use, never refused
        self.use(attr, user)()
        rule = self.renames[attr]
        raise LegacyImportError(
            f"{self.legacy}.{attr} was removed: use {rule.target}.{rule.target_symbol}"
            + (f" ({rule.note})" if rule.note else "") + _where(user),
            name=self.legacy)


def _record_deferred(hook: Host, legacy: str, code: CodeType, lasti: int, f_globals: dict[str, Any], count: bool,
                     start_ns: int, end_ns: int, seen: float) -> None:
    """A first import kept by :meth:`Binding.first_import`, recorded by its legacy module's binding.

    Any binding of the name records alike (the same rule, mode and canonical names).
    """
    binding = hook.bindings.get(legacy)
    if binding is not None:
        binding.record_first_import(FrameInfo(code, lasti, f_globals), count, (start_ns, end_ns), seen)
