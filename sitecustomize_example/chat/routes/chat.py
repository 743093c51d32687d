"""The chat route: still imports the manager through legacy paths (one with a renamed class)."""

import chat.ws.unified_manager as unified
from chat.ws.unified_manager import UnifiedWebSocketManager


def handle(client: str, message: str) -> int:
    manager = unified.get_manager()
    assert isinstance(manager, UnifiedWebSocketManager)
    return manager.send(client, message)
