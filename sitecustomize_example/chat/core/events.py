"""Event publishing (moved from chat.legacy.events)."""

PUBLISHED: list[tuple[str, str]] = []


def publish(topic: str, payload: str) -> None:
    PUBLISHED.append((topic, payload))
