"""Legacy names in source text: which dotted names a configuration calls legacy, and what they become."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from ..config import Config, Rule, resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?(?![\w])")


@dataclass(frozen=True)
class Match:
    legacy: str  # the legacy module
    symbol: str | None  # the name after it, if any
    canonical: str
    canonical_symbol: str | None

    @property
    def replacement(self) -> str:
        return f"{self.canonical}.{self.canonical_symbol}" if self.canonical_symbol else self.canonical


class LegacyNames:
    """Resolves dotted names against the configuration's redirects (chains followed)."""

    def __init__(self, cfg: Config, only: tuple[str, ...] = ()) -> None:
        self.exact = {r.legacy: r for r in cfg.rules if not r.prefix and r.symbol is None}
        self.prefixes = {r.legacy: r for r in cfg.rules if r.prefix}
        self.renames = {(r.legacy, r.symbol): r for r in cfg.rules if r.symbol}
        self.only = only
        # Live modules: no rule redirects them, only some of their names moved.
        self.live: dict[str, dict[str, Rule]] = {}
        for r in cfg.rules:
            if r.symbol and resolve(r.legacy, self.exact, self.prefixes) is None and self._wanted(r.legacy):
                self.live.setdefault(r.legacy, {})[r.symbol] = r
        roots = {name.split(".")[0] for name in (*self.exact, *self.prefixes, *self.live)}
        self.roots = frozenset(roots)

    def _wanted(self, name: str) -> bool:
        return not self.only or any(fnmatch.fnmatchcase(name, p) for p in self.only)

    def module(self, name: str) -> str | None:
        """The final canonical module of a legacy module name, or None."""
        step = resolve(name, self.exact, self.prefixes)
        if step is None:
            return None
        if not self._wanted(name):
            return None
        target = step[0]
        for _ in range(1000):
            nxt = resolve(target, self.exact, self.prefixes)
            if nxt is None:
                break
            target = nxt[0]
        return target

    def live_symbol(self, module: str, name: str | None) -> Match | None:
        """``module.name`` when ``module`` is live and ``name`` is one of its legacy names."""
        rule = self.live.get(module, {}).get(name or "")
        if rule is None:
            return None
        target, symbol = self.module(rule.target) or rule.target, rule.target_symbol
        for _ in range(100):  # a chain of symbol rules (parse_config refuses cycles)
            nxt = self.live.get(target, {}).get(symbol or "") or self.renames.get((target, symbol or ""))
            if nxt is None:
                break
            target, symbol = self.module(nxt.target) or nxt.target, nxt.target_symbol
        return Match(module, name, target, symbol)

    def symbol(self, legacy: str, name: str | None) -> Match | None:
        if legacy in self.live:
            return self.live_symbol(legacy, name)
        canonical = self.module(legacy)
        if canonical is None:
            return None
        rule = self.renames.get((legacy, name)) if name else None
        if rule is not None:
            return Match(legacy, name, self.module(rule.target) or rule.target, rule.target_symbol)
        return Match(legacy, name, canonical, name)

    def dotted(self, text: str) -> Match | None:
        """``a.b.legacy`` or ``a.b.legacy.Name`` or ``a.b.legacy:Name``: the longest legacy prefix."""
        if text.split(".")[0].split(":")[0] not in self.roots:
            return None
        module, _, colon_symbol = text.partition(":")
        parts = module.split(".")
        # Under a package prefix every dotted name looks like a module: a capitalised part is
        # taken for a symbol (a class), as it almost always is.
        capital = next((i for i, part in enumerate(parts) if i and part[:1].isupper()), len(parts))
        for cut in range(capital, 0, -1):
            head = ".".join(parts[:cut])
            if self.module(head) is not None:
                rest = parts[cut:]
                if colon_symbol:
                    rest = [*rest, colon_symbol]
                symbol = rest[0] if rest else None
                return self.symbol(head, symbol)
        if self.live:
            names = [*parts, colon_symbol] if colon_symbol else parts
            for cut in range(len(names) - 1, 0, -1):
                match = self.live_symbol(".".join(names[:cut]), names[cut])
                if match is not None:
                    return match
        return None

    def in_text(self, line: str) -> list[tuple[int, int, Match]]:
        """Dotted legacy names in free text (config files, strings): (start, end, match) each."""
        found = []
        for m in _DOTTED.finditer(line):
            match = self.dotted(m.group(0))
            if match is not None:
                found.append((m.start(), m.end(), match))
        return found

    def replace_text(self, text: str, keep: Callable[[Match], bool] | None = None) -> str:
        """``text`` with each dotted legacy name replaced by its canonical name (symbol kept if any).

        ``keep(match)`` false leaves that name as it is (a refused rewrite).
        """
        out, last = [], 0
        for start, end, match in self.in_text(text):
            if keep is not None and not keep(match):
                continue
            original = text[start:end]
            head = original.split(":")[0]
            legacy_parts = match.legacy.split(".")
            tail_parts = head.split(".")[len(legacy_parts):]
            if ":" in original:
                new = f"{match.canonical}{'.' + '.'.join(tail_parts) if tail_parts else ''}:" \
                      f"{match.canonical_symbol}"
            elif tail_parts:
                new = ".".join([match.canonical, match.canonical_symbol or tail_parts[0], *tail_parts[1:]])
            else:
                new = match.canonical
            out += [text[last:start], new]
            last = end
        out.append(text[last:])
        return "".join(out)
