"""Reading the standards catalog: standards, their clause trees and single clauses.

The catalog is global (no `tenant_id`) and the app role may only read it, so these reads do
not depend on the tenant scope: every signed-in principal sees the same catalog. The batch
functions (`*_by_id`, `trees_by_standard`) take `(db, keys)` and answer in key order, for
the request's DataLoaders (`info.context.loaders.of(...)`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.errors import invalid
from backend.db.batch import among, by_id


async def list_standards(db: AsyncSession) -> list[Standard]:
    return list(await db.scalars(select(Standard).order_by(Standard.code, Standard.edition)))


async def standard_by_code(db: AsyncSession, code: str, edition: str) -> Standard | None:
    """The standard edition named like "ISO 9001", "2015"; surrounding spaces are ignored."""
    return await db.scalar(
        select(Standard).where(Standard.code == code.strip(), Standard.edition == edition.strip())
    )


standards_by_id = by_id(Standard)
clauses_by_id = by_id(Clause)


@dataclass
class ClauseTree:
    """Every node of one standard in document order, with its parent-child links in memory,
    so walking the tree or filtering requirements costs no further queries."""

    nodes: list[Clause]
    _children: dict[uuid.UUID | None, list[Clause]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._children = defaultdict(list)
        for node in self.nodes:
            self._children[node.parent_id].append(node)

    @property
    def clauses(self) -> list[Clause]:
        """The top-level clauses (4 to 10); annex controls have no parent but are not clauses."""
        return [node for node in self._children[None] if node.kind == ClauseKind.CLAUSE]

    def children_of(self, clause_id: uuid.UUID) -> list[Clause]:
        return list(self._children.get(clause_id, ()))

    def requirements(
        self, *, component: str | None = None, documented_information: bool | None = None
    ) -> list[Clause]:
        """The assessable nodes, in document order, optionally only those tagged `component`
        or those that do (or do not) demand documented information."""
        return [
            node
            for node in self.nodes
            if node.assessable
            and (component is None or component in node.components)
            and (
                documented_information is None
                or node.documented_information is documented_information
            )
        ]

    def count(self, kind: ClauseKind) -> int:
        return sum(node.kind == kind for node in self.nodes)

    @property
    def requirement_count(self) -> int:
        return sum(node.assessable for node in self.nodes)


async def trees_by_standard(
    db: AsyncSession, standard_ids: Sequence[uuid.UUID]
) -> list[ClauseTree]:
    """The clause trees of several standards in one query."""
    rows = await db.scalars(
        select(Clause)
        .where(among(Clause.standard_id, standard_ids))
        .order_by(Clause.standard_id, Clause.position)
    )
    grouped: dict[uuid.UUID, list[Clause]] = defaultdict(list)
    for row in rows:
        grouped[row.standard_id].append(row)
    return [ClauseTree(grouped[i]) for i in standard_ids]


def check_component(standard: str, components: Sequence[str], component: str | None) -> None:
    """A filter by a component `standard` does not have is a mistake, not an empty list."""
    if component is not None and component not in components:
        raise invalid(
            f"{standard} has no component {component!r}; its components are"
            f" {', '.join(components)}.",
            ["component"],
        )
