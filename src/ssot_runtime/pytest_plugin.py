"""The pytest plugin (entry point ``pytest11``): ``pytest --ssot-runtime[=CONFIG]``."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ssot-runtime", "legacy import paths (ssot-runtime)")
    group.addoption("--ssot-runtime", action="store", nargs="?", const="", default=None, metavar="CONFIG",
                    help="Install the ssot-runtime hook for the test session (optionally with this config).")
