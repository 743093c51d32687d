"""Notifications: the events module moved from chat.legacy to chat.core."""

from chat.legacy.events import publish


def notify(client: str, text: str) -> None:
    publish(f"notify.{client}", text)
