"""The agents' own copy of the manager, written before the consolidation: a duplicate class.

`ssot-runtime audit` lists it beside chat.ws.websocket_manager.WebSocketManager with what
differs (no `connect`, `send` returns nothing, a `broadcast` of its own): what blocks merging.
Nothing imports it any more.
"""


class WebSocketManager:
    def __init__(self) -> None:
        self.clients: dict[str, list[str]] = {}

    def send(self, client: str, message: str) -> None:
        self.clients.setdefault(client, []).append(message)

    def broadcast(self, message: str) -> None:
        for client in self.clients:
            self.send(client, message)
