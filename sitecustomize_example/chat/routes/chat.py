"""The chat route: still imports the manager through legacy paths (one with a renamed class)."""

import chat.ws.unified_manager as unified
from chat.ws.unified_manager import UnifiedWebSocketManager
from chat.core.interfaces import ManagerProtocol, format_text


def handle(client: str, message: str) -> int:
    manager = unified.get_manager()
    assert isinstance(manager, UnifiedWebSocketManager)
    assert isinstance(manager, ManagerProtocol)
    return manager.send(client, format_text(message))
