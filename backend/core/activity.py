"""What the activity log needs from everyone: what the process is doing, and events.

The API's mutation decorator names the mutation, the job worker the job; the activity
recorder reads the name when it writes the entries of a transaction. Code whose event
changes no tenant row (a login) notes it on its session, and the recorder writes it with the
transaction's other entries at commit. This lives in the core so those callers need not
know the activity area.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

EVENTS_KEY = "activity_events"


class HasInfo(Protocol):
    @property
    def info(self) -> dict[Any, Any]: ...


@dataclass(frozen=True)
class Event:
    """Something to log in `tenant_id` that is not a row change."""

    tenant_id: uuid.UUID
    object_type: str
    object_id: str | None
    details: dict[str, Any]


def note(session: HasInfo, event: Event) -> None:
    """Log `event` with the session's transaction, if it commits."""
    session.info.setdefault(EVENTS_KEY, []).append(event)


_doing: ContextVar[str | None] = ContextVar("activity_action", default=None)


def current_action() -> str | None:
    return _doing.get()


@contextmanager
def doing(action: str) -> Iterator[None]:
    """Name what the code inside does (a mutation, a job, a command)."""
    token = _doing.set(action)
    try:
        yield
    finally:
        _doing.reset(token)
