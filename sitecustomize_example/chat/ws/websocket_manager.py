"""The canonical WebSocket manager: one class, one module (it used to live in five places)."""

import threading


class WebSocketManager:
    """Tracks connected clients and sends them messages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clients: dict[str, list[str]] = {}

    def connect(self, client: str) -> None:
        with self._lock:
            self.clients.setdefault(client, [])

    def send(self, client: str, message: str) -> int:
        with self._lock:
            self.clients.setdefault(client, []).append(message)
            return len(self.clients[client])


_manager = WebSocketManager()


def get_manager() -> WebSocketManager:
    return _manager


# The name the agents used before #1190. No rule of ssot-runtime.toml maps it yet: `audit` lists
# it as a re-export in no rule, `discover` proposes the symbol rule.
ChatManager = WebSocketManager
