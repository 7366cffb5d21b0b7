"""GraphQL types and queries of the standards catalog.

Any signed-in person may read the catalog; no acting tenant is needed, since it is the same
for everyone. A standard's clause tree is loaded once per request and standard (one query
for all the standards asked for), and every tree field reads from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

import strawberry
from sqlalchemy import Row
from strawberry import relay

from backend.api.context import Info
from backend.api.cost import at_most
from backend.api.loaders import Batch
from backend.api.nodes import LoadedNode
from backend.catalog import models, service
from backend.catalog.loader import (
    MAX_CHILDREN,
    MAX_COMPONENTS,
    MAX_NODES,
    MAX_STANDARDS,
    TOP_LEVEL_CLAUSES,
)
from backend.catalog.models import ClauseKind

RequirementKind = strawberry.enum(
    ClauseKind,
    name="RequirementKind",
    description="A management-system clause, or a control of an annex (ISO/IEC 27001 Annex A).",
)


class CatalogNode(LoadedNode):
    """Catalog nodes answer signed-in callers only, like the catalog queries."""

    loader: ClassVar[str | Batch]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        info.context.require_entitlements()
        return await super().resolve_nodes(info=info, node_ids=node_ids, required=required)


async def _tree(info: Info, standard_id: uuid.UUID) -> service.ClauseTree:
    tree: service.ClauseTree = await info.context.loaders.of(service.trees_by_standard).load(
        standard_id
    )
    return tree


@strawberry.type(description="One of a standard's key components; clauses are tagged with keys.")
class StandardComponent:
    key: str
    title: str


@strawberry.type(
    description="A clause or annex control of a standard. Assessable ones are the requirements"
    " a gap analysis assesses; the others group their children."
)
class Requirement(CatalogNode, relay.Node):
    loader: ClassVar[str | Batch] = service.clauses_by_id
    id: relay.NodeID[str]
    number: str
    title: str
    guidance: str = strawberry.field(description="What an organization should be able to show.")
    kind: RequirementKind  # type: ignore[valid-type]
    theme: str | None = strawberry.field(description="Annex controls: the key of their theme.")
    components: list[str] = strawberry.field(description="Keys of the standard's components.")
    documented_information: bool = strawberry.field(
        description="Whether the clause demands documented information (maintained or retained)."
    )
    hs_key: str | None = strawberry.field(
        description="The harmonized-structure clause it implements, shared by the equivalent"
        " clause of every management-system standard (9.2 is internal audit in all of them)."
    )
    assessable: bool
    parent_number: str | None
    standard_uuid: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, clause: models.Clause | Row[Any]) -> Requirement:
        """From the entity, or from a row of its fields (`fields_of`) a hot list reads."""
        return cls(
            id=str(clause.id),
            number=clause.number,
            title=clause.title,
            guidance=clause.guidance,
            kind=ClauseKind(clause.kind),
            theme=clause.theme,
            components=list(clause.components),
            documented_information=clause.documented_information,
            hs_key=clause.hs_key,
            assessable=clause.assessable,
            # The loader accepts a child only when its number is its parent's plus one step.
            parent_number=clause.number.rpartition(".")[0] if clause.parent_id else None,
            standard_uuid=clause.standard_id,
        )

    @strawberry.field(
        description="The sub-clauses, in document order.", metadata=at_most(MAX_CHILDREN)
    )
    async def children(self, info: Info) -> list[Requirement]:
        tree = await _tree(info, self.standard_uuid)
        return [Requirement.from_model(row) for row in tree.children_of(uuid.UUID(self.id))]

    @strawberry.field(
        description="The standard edition it belongs to (a Standard id). An id rather than the"
        " standard itself, so requirements do not lead back to every other requirement."
    )
    def standard_id(self) -> relay.GlobalID:
        return relay.GlobalID("Standard", str(self.standard_uuid))


@strawberry.type(description="A standard edition of the catalog, such as ISO 9001:2015.")
class Standard(CatalogNode, relay.Node):
    loader: ClassVar[str | Batch] = service.standards_by_id
    id: relay.NodeID[str]
    code: str
    edition: str
    title: str
    purpose: str
    components: list[StandardComponent] = strawberry.field(metadata=at_most(MAX_COMPONENTS))

    @classmethod
    def from_model(cls, standard: models.Standard) -> Standard:
        return cls(
            id=str(standard.id),
            code=standard.code,
            edition=standard.edition,
            title=standard.title,
            purpose=standard.purpose,
            components=[StandardComponent(**entry) for entry in standard.components],
        )

    @strawberry.field(
        description="Clauses 4 to 10, each with its children.",
        metadata=at_most(len(TOP_LEVEL_CLAUSES)),
    )
    async def clauses(self, info: Info) -> list[Requirement]:
        tree = await _tree(info, uuid.UUID(self.id))
        return [Requirement.from_model(row) for row in tree.clauses]

    @strawberry.field(
        description="Every assessable clause and annex control in document order, optionally"
        " only those of one component or those that do (or do not) demand documented"
        " information.",
        metadata=at_most(MAX_NODES),
    )
    async def requirements(
        self,
        info: Info,
        component: str | None = None,
        documented_information: bool | None = None,
    ) -> list[Requirement]:
        service.check_component(
            f"{self.code}:{self.edition}", [entry.key for entry in self.components], component
        )
        tree = await _tree(info, uuid.UUID(self.id))
        rows = tree.requirements(component=component, documented_information=documented_information)
        return [Requirement.from_model(row) for row in rows]

    @strawberry.field(description="How many clauses and sub-clauses (annex controls excluded).")
    async def clause_count(self, info: Info) -> int:
        return (await _tree(info, uuid.UUID(self.id))).count(ClauseKind.CLAUSE)

    @strawberry.field(description="How many annex controls (ISO/IEC 27001 Annex A).")
    async def control_count(self, info: Info) -> int:
        return (await _tree(info, uuid.UUID(self.id))).count(ClauseKind.CONTROL)

    @strawberry.field(description="How many assessable clauses and controls.")
    async def requirement_count(self, info: Info) -> int:
        return (await _tree(info, uuid.UUID(self.id))).requirement_count


def _answer(info: Info, rows: list[models.Standard]) -> list[Standard]:
    """The standards as nodes; the request's loader keeps them, so `node` lookups of them
    cost no second query."""
    loader = info.context.loaders.of(service.standards_by_id)
    for row in rows:
        loader.prime(row.id, row)
    return [Standard.from_model(row) for row in rows]


@strawberry.type
class CatalogQuery:
    @strawberry.field(
        description="Every standard edition in the catalog.", metadata=at_most(MAX_STANDARDS)
    )
    async def standards(self, info: Info) -> list[Standard]:
        info.context.require_entitlements()
        return _answer(info, await service.list_standards(info.context.db))

    @strawberry.field(description='One standard edition, e.g. code "ISO 9001", edition "2015".')
    async def standard(self, info: Info, code: str, edition: str) -> Standard | None:
        info.context.require_entitlements()
        row = await service.standard_by_code(info.context.db, code, edition)
        return _answer(info, [row])[0] if row else None
