"""Cursor connections over SQL: keyset pagination, so page N costs what page 1 costs."""

from __future__ import annotations

import base64
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import BigInteger, Select, SmallInteger, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, aliased
from strawberry import relay
from strawberry.relay.types import NodeType

from backend.api.control_characters import forbidden_character
from backend.api.errors import ClientError
from backend.db.batch import among
from backend.db.session import TenantSession

DEFAULT_PAGE = 20
MAX_PAGE = 100

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    total_count: int


def _encode(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, keys: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    """The key values of a cursor `_encode` made; anything else a client crafted is refused
    here, before it can reach (and fail) a statement."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise ValueError
        return [_parse(key, value) for key, value in zip(keys, raw, strict=True)]
    except (ValueError, TypeError, UnicodeError, OverflowError, RecursionError):
        raise ClientError("The `after` cursor is not valid for this list.") from None


def _parse(key: InstrumentedAttribute[Any], value: object) -> Any:
    if not isinstance(value, str) or forbidden_character(value) is not None:
        raise ValueError
    kind = key.type.python_type
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
        return moment.astimezone(UTC)  # OverflowError at the ends of the calendar
    if kind is int:
        return _within_column(key, int(value))
    return kind(value)


def _within_column(key: InstrumentedAttribute[Any], number: int) -> int:
    """An integer the key's column can hold; the driver would fail the statement otherwise."""
    bits = (
        64 if isinstance(key.type, BigInteger) else 16 if isinstance(key.type, SmallInteger) else 32
    )
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise ValueError
    return number


async def paginate(
    db: TenantSession,
    statement: Select[Row],
    keys: Sequence[InstrumentedAttribute[Any]],
    first: int | None,
    after: str | None,
    *,
    limit: int = MAX_PAGE,
    descending: bool = False,
) -> Page[Row]:
    """One page of `statement`, ordered by `keys` (which must end in a unique column),
    `descending` for newest-first lists.

    `limit` caps `first`; lists that clients need whole (a program's requirements, for its
    dashboard) may allow more than the default.
    """
    size = _page_size(first, limit)
    # The count keeps the statement's options (a list read outside the read set says so).
    counting = select(func.count()).select_from(statement.order_by(None).subquery())
    total = await db.scalar(counting.execution_options(**statement.get_execution_options()))
    page = statement.order_by(*(key.desc() if descending else key for key in keys))
    if after is not None:
        position, cursor = tuple_(*keys), tuple_(*_decode(after, keys))
        page = page.where(position < cursor if descending else position > cursor)
    rows: list[Row] = list(await _rows(db, page.limit(size + 1)))
    return Page(
        rows=rows[:size],
        cursors=[_encode([_value(row, key) for key in keys]) for row in rows[:size]],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
        total_count=total or 0,
    )


async def _rows(db: TenantSession, statement: Select[Any]) -> Sequence[Any]:
    """Entities for a statement of one entity (or one column); rows for a statement of
    several columns, such as a hot list's `fields_of` a model."""
    result = await db.execute(statement)
    rows: Sequence[Any] = (
        result.all() if len(statement.column_descriptions) > 1 else result.scalars().all()
    )
    return rows


def _page_size(first: int | None, limit: int = MAX_PAGE) -> int:
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= limit:
        raise ClientError(f"`first` must be between 0 and {limit}.")
    return size


def _value(row: Any, key: InstrumentedAttribute[Any]) -> Any:
    return getattr(row, key.key)


@dataclass(frozen=True)
class PageRequest:
    """One parent's page of a child list: the key of a DataLoader that batches many parents."""

    parent_id: uuid.UUID
    first: int | None = None
    after: str | None = None


async def paginate_children(
    db: TenantSession,
    model: type[Any],
    parent: InstrumentedAttribute[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    requests: Sequence[PageRequest],
) -> list[Page[Any] | ClientError]:
    """A page of `model` rows for each request's parent (`parent` holds the parent's id), in
    two statements per distinct (first, after), however many parents there are."""
    groups: dict[tuple[int | None, str | None], list[uuid.UUID]] = defaultdict(list)
    for request in requests:
        groups[(request.first, request.after)].append(request.parent_id)
    pages: dict[PageRequest, Page[Any] | ClientError] = {}
    for (first, after), parent_ids in groups.items():
        try:
            found = await _child_pages(
                db, model, parent, keys, parent_ids, first=first, after=after
            )
        except ClientError as error:
            found = dict.fromkeys(parent_ids, error)
        for parent_id, page in found.items():
            pages[PageRequest(parent_id, first, after)] = page
    return [pages[request] for request in requests]


async def _child_pages(
    db: TenantSession,
    model: type[Any],
    parent: InstrumentedAttribute[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    parent_ids: list[uuid.UUID],
    *,
    first: int | None,
    after: str | None,
) -> dict[uuid.UUID, Page[Any] | ClientError]:
    size = _page_size(first)
    after_values = _decode(after, keys) if after is not None else None
    counts = await db.execute(
        select(parent, func.count()).where(among(parent, parent_ids)).group_by(parent)
    )
    totals: dict[uuid.UUID, int] = {row[0]: row[1] for row in counts}
    position = func.row_number().over(partition_by=parent, order_by=list(keys)).label("position")
    ranked = select(model, position).where(among(parent, parent_ids))
    if after_values is not None:
        ranked = ranked.where(tuple_(*keys) > tuple_(*after_values))
    ranked_rows = ranked.subquery()
    row = aliased(model, ranked_rows)
    rows = await db.scalars(
        select(row).where(ranked_rows.c.position <= size + 1).order_by(ranked_rows.c.position)
    )
    by_parent: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for found in rows:
        by_parent[getattr(found, parent.key)].append(found)
    return {
        parent_id: Page(
            rows=by_parent[parent_id][:size],
            cursors=[
                _encode([_value(item, key) for key in keys]) for item in by_parent[parent_id][:size]
            ],
            has_next_page=len(by_parent[parent_id]) > size,
            has_previous_page=after is not None,
            total_count=totals.get(parent_id, 0),
        )
        for parent_id in parent_ids
    }


@strawberry.type(description="A page of a list, with cursors to fetch the next one.")
class Connection(relay.Connection[NodeType]):
    total_count: int = strawberry.field(description="How many items the whole list holds.")

    @classmethod
    def from_page(cls, page: Page[Any], to_node: Callable[[Any], NodeType]) -> Connection[NodeType]:
        edges = [
            relay.Edge(node=to_node(row), cursor=cursor)
            for row, cursor in zip(page.rows, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total_count=page.total_count,
        )
