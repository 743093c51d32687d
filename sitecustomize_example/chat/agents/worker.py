"""A background agent: resolves the manager by a dotted string, as plugin code does."""

import importlib

import chat.core.interfaces as interfaces

MANAGER_MODULE = "chat.ws.unified_manager"


def broadcast(clients: list[str], text: str) -> int:
    module = importlib.import_module(MANAGER_MODULE)
    manager = module.get_manager()
    assert isinstance(manager, interfaces.ManagerProtocol)
    return sum(manager.send(client, interfaces.format_text(text)) for client in clients)
