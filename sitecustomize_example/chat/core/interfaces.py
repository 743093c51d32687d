"""Interfaces shared by routes, services and agents.

It used to hold a copy of the manager protocol too; the one protocol now lives in
chat.ws.protocols (only that name moved: format_text stays here, canonical).
"""


def format_text(text: str) -> str:
    """Collapse runs of whitespace, as every message sent to a client is."""
    return " ".join(text.split())
