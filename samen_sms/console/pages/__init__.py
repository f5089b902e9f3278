"""The console's pages; importing this package adds their views to the blueprint."""

from samen_sms.console.pages import (
    admin,
    content,
    conversations,
    directory,
    mediator_admin,
    mediators,
    overview,
    reports,
    review,
    sessions,
    simulator,
)

__all__ = [
    "admin",
    "content",
    "conversations",
    "directory",
    "mediator_admin",
    "mediators",
    "overview",
    "reports",
    "review",
    "sessions",
    "simulator",
]
