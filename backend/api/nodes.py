"""Relay node lookups of every area's types, through the request's DataLoaders."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from backend.api.context import Info
from backend.api.loaders import Batch


def node_uuids(node_ids: Iterable[str]) -> list[uuid.UUID | None]:
    parsed: list[uuid.UUID | None] = []
    for node_id in node_ids:
        try:
            parsed.append(uuid.UUID(node_id))
        except ValueError:
            parsed.append(None)
    return parsed


class LoadedNode:
    """Node lookups through the request's DataLoader: `loader` names one of `Loaders`, or is
    a domain area's `batch(db, ids)` function (reached through `Loaders.of`).

    What the loader cannot see (another tenant's object) resolves to None, exactly like an
    id that does not exist; ids that are not UUIDs resolve to None too.
    """

    loader: ClassVar[str | Batch]

    @classmethod
    def from_model(cls, row: Any) -> Any:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids = node_uuids(node_ids)
        loaders = info.context.loaders
        loader = (
            getattr(loaders, cls.loader) if isinstance(cls.loader, str) else loaders.of(cls.loader)
        )
        found = await loader.load_many([i for i in ids if i is not None])
        by_id = {row.id: cls.from_model(row) for row in found if row is not None}
        return [by_id.get(i) if i else None for i in ids]


async def node_of_type(info: Info, type_name: str, node_id: uuid.UUID) -> Any:
    """Another area's node, found through the schema by its GraphQL type name: an area whose
    type points at another area's type says so with a lazy annotation and loads it here,
    so areas never import each other's API modules."""
    definition = info.schema.get_type_by_name(type_name)
    origin: type[LoadedNode] = getattr(definition, "origin", LoadedNode)
    (node,) = await origin.resolve_nodes(info=info, node_ids=[str(node_id)])
    return node


def as_type(info: Info, type_name: str, rows: Sequence[Any]) -> list[Any]:
    """Rows of another area as its GraphQL type, found through the schema by name (the
    type is named lazily, so areas never import each other's API modules)."""
    definition: Any = info.schema.get_type_by_name(type_name)
    return [definition.origin.from_model(row) for row in rows]
