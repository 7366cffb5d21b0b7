"""Lists that grow without bound but are read a few items at a time (histories, versions):
the client names how many of the first or last items it wants, so the answer, and the cost
the cost limit counts for it, stay bounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from backend.api.errors import ClientError
from backend.api.pagination import DEFAULT_PAGE, MAX_PAGE

Item = TypeVar("Item")

FIRST = f"How many from the start (default {DEFAULT_PAGE}, at most {MAX_PAGE})."
LAST = f"How many from the end (default {DEFAULT_PAGE}, at most {MAX_PAGE})."
NESTED_PAGE = 5
"""The default of a list inside a list of every requirement, where a few items is the norm."""
NESTED_FIRST = f"How many from the start (default {NESTED_PAGE}, at most {MAX_PAGE})."


def first(items: Sequence[Item], count: int | None) -> list[Item]:
    return list(items[: _size("first", count)])


def last(items: Sequence[Item], count: int | None) -> list[Item]:
    return list(items[len(items) - min(_size("last", count), len(items)) :])


def _size(argument: str, count: int | None) -> int:
    size = DEFAULT_PAGE if count is None else count
    if not 0 <= size <= MAX_PAGE:
        raise ClientError(f"`{argument}` must be between 0 and {MAX_PAGE}.")
    return size
