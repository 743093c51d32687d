"""A background agent: resolves the manager by a dotted string, as plugin code does."""

import importlib

MANAGER_MODULE = "chat.ws.unified_manager"


def broadcast(clients: list[str], text: str) -> int:
    module = importlib.import_module(MANAGER_MODULE)
    manager = module.get_manager()
    return sum(manager.send(client, text) for client in clients)
