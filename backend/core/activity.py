"""What the process is doing now, named for the activity log.

The API's mutation decorator names the mutation, the job worker the job, a CLI command
itself; the activity recorder reads the name when it writes the entries of a transaction.
It lives in the core so those callers need not know the activity area.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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
