"""Fields of list rows answered at once when the list already knows their value.

graphql-core completes an awaitable field in a task of its own and gathers a list's rows
when any of them waits, so one async field on every row of a 123-row list costs hundreds of
tasks. A resolver that returns `now_or_later(...)` is a plain function: it answers the value
the list resolver put on the row (read in the list's own statements), and falls back to the
awaitable load when the row came from elsewhere (a mutation's payload, a node lookup).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from graphql.pyutils import Path
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from backend.api.context import Info

Value = TypeVar("Value")


def now_or_later(
    known: Value | None, later: Callable[[], Awaitable[Value]]
) -> Value | Awaitable[Value]:
    return known if known is not None else later()


def asks_for(info: Info, name: str) -> bool:
    """Whether the field being resolved selects `name` anywhere below it (fragments too).

    Remembered per request for each place in the answer (the path without list indices):
    a list asks it once for every row, and strawberry builds the selection afresh for every
    asking. A place is one selection of the document, so one answer holds for all its rows.
    """
    key = (_place(info), name)
    asked = info.context.asked
    found = asked.get(key)
    if found is None:
        found = asked[key] = _selects(info.selected_fields, name)
    return found


def _place(info: Info) -> tuple[str, ...]:
    """The response keys from the root, and the type the field is on (rows of a union may
    select differently at one key)."""
    keys = [info.path.typename or ""]
    path: Path | None = info.path
    while path is not None:
        if isinstance(path.key, str):
            keys.append(path.key)
        path = path.prev
    return tuple(keys)


def _selects(
    selections: Iterable[SelectedField | FragmentSpread | InlineFragment], name: str
) -> bool:
    return any(
        (isinstance(item, SelectedField) and item.name == name) or _selects(item.selections, name)
        for item in selections
    )
