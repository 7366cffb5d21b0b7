"""Batch loads by primary key, the shape DataLoaders need: one statement, answers in key order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import TypeVar

from sqlalchemy import ColumnElement, any_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from backend.db.base import UUID_ARRAY, Identified

Row = TypeVar("Row", bound=Identified)
Value = TypeVar("Value")


def among(
    column: ColumnElement[uuid.UUID] | QueryableAttribute[uuid.UUID], ids: Iterable[uuid.UUID]
) -> ColumnElement[bool]:
    """`column` is one of `ids`, bound as one uuid[] parameter.

    An IN list renders one placeholder per id on every execution (123 for a dashboard's
    requirements) and gives each list length its own SQL text, so its own prepared
    statement; `= ANY(array)` keeps one text, and PostgreSQL uses the same indexes.
    """
    return column == any_(literal(list(ids), UUID_ARRAY))


async def rows_by_id(
    model: type[Row], db: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[Row | None]:
    """The rows of `model` with these ids, None where the session cannot see one."""
    rows = await db.scalars(select(model).where(among(model.id, ids)))
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]


def by_id(
    model: type[Row],
) -> Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[list[Row | None]]]:
    """A batch function for `model`; module-level, so each request's loader is found again."""
    return partial(rows_by_id, model)


def grouped(
    keys: Sequence[uuid.UUID], pairs: Iterable[tuple[uuid.UUID, Value]]
) -> list[list[Value]]:
    """The values paired with each key, in key order (an empty list for a key with none): the
    answer of a batch load of children by parent."""
    found: dict[uuid.UUID, list[Value]] = defaultdict(list)
    for key, value in pairs:
        found[key].append(value)
    return [found[key] for key in keys]
