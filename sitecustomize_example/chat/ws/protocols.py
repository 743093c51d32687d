"""The one WebSocket manager protocol (a duplicate of it lived in chat.core.interfaces)."""

from typing import Protocol, runtime_checkable


@runtime_checkable
class WebSocketManagerProtocol(Protocol):
    def send(self, client: str, message: str) -> int: ...
