"""The demo application's own tests (they run under the hook or, after migration, without it)."""

from chat.agents.worker import broadcast
from chat.routes.chat import handle
from chat.routes.health import health
from chat.services.notify import notify


def test_handle_and_health() -> None:
    assert handle("a", "hi") >= 1
    assert health()["clients"] >= 1


def test_notify_and_broadcast() -> None:
    notify("a", "x")
    assert broadcast(["a", "b"], "all") >= 2
