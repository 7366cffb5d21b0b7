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

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from backend.api.context import Info

Value = TypeVar("Value")


def now_or_later(
    known: Value | None, later: Callable[[], Awaitable[Value]]
) -> Value | Awaitable[Value]:
    return known if known is not None else later()


def asks_for(info: Info, name: str) -> bool:
    """Whether the field being resolved selects `name` anywhere below it (fragments too)."""
    return _selects(info.selected_fields, name)


def _selects(
    selections: Iterable[SelectedField | FragmentSpread | InlineFragment], name: str
) -> bool:
    return any(
        (isinstance(item, SelectedField) and item.name == name) or _selects(item.selections, name)
        for item in selections
    )
