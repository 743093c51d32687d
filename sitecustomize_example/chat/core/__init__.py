"""Core services (moved here from chat.legacy)."""
