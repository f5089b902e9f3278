"""The console's pages; importing this package adds their views to the blueprint."""

from samen_sms.console.pages import admin, content, conversations, directory, mediators, overview, sessions, simulator

__all__ = ["admin", "content", "conversations", "directory", "mediators", "overview", "sessions", "simulator"]
