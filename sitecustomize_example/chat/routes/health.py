"""The health route: uses the old compatibility module."""

import chat.ws.manager_compat as compat


def health() -> dict[str, int]:
    return {"clients": len(compat.get_manager().clients)}
