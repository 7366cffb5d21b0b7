"""Keeping running programs whole when a data file changes the shape of a standard's tree.

Programs create their assessments when they start, one per assessable clause. When a reload
makes new leaves (a new clause, or sub-clauses under what used to be a leaf), every program
of that standard gets a not-assessed assessment of each new leaf, in the loader's transaction.

A leaf that gains children becomes a grouping node: its own assessment stays (with its
history) but no longer counts, since gap analysis, criteria and sibling copies read only
assessable clauses. So that no judgement is lost, each new leaf under such a former leaf
takes over the former leaf's judgement in every program that had judged it, recorded as one
history entry without a person (`after` says `source: catalog_change` and why). Whatever
pointed at the former leaf (actions, evidence, controlled documents, training sessions,
findings) keeps pointing at it and is also tied to each new leaf, so a carried gap keeps its
action and a carried requirement its evidence and findings.

The loader runs as the schema owner. Tenant tables force row-level security even on their
owner, so an owner that cannot bypass it lifts the force for these tables inside the
transaction and puts it back before commit; nobody else ever sees them without it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.assessments.models import Assessment, AssessmentChange, ChangeSource
from backend.catalog.models import Clause
from backend.documents.models import DocumentRequirement
from backend.evidence.models import EvidenceLink
from backend.findings.models import FindingRequirement
from backend.planning.models import ActionRequirement
from backend.programs.models import Program
from backend.training.models import TrainingSessionClause

if TYPE_CHECKING:
    from backend.catalog.loader import StandardData

SOURCE = ChangeSource.CATALOG_CHANGE.value  # `after["source"]` of an entry the catalog made
# What a fresh assessment holds, as the history keeps it (`programs.judgements.Judgement`).
NOT_ASSESSED = {
    "status": "not_assessed",
    "current_practice": "",
    "gap_description": "",
    "justification": "",
    "priority": None,
    "implementation": None,
}
# Rows that tie a program's work to a clause: table -> the columns copied with the link.
LINKS = {
    ActionRequirement.__tablename__: ("tenant_id", "action_id"),
    EvidenceLink.__tablename__: ("tenant_id", "evidence_id", "program_id"),
    DocumentRequirement.__tablename__: ("tenant_id", "document_id", "program_id"),
    TrainingSessionClause.__tablename__: ("tenant_id", "session_id"),
    FindingRequirement.__tablename__: ("tenant_id", "finding_id", "program_id"),
}
TOUCHED_TABLES = (
    Program.__tablename__,
    Assessment.__tablename__,
    AssessmentChange.__tablename__,
    *LINKS,
)

_SPLIT = (
    "SELECT * FROM unnest(CAST(:leaves AS uuid[]), CAST(:formers AS uuid[]),"
    " CAST(:reasons AS text[])) AS split(leaf_id, former_id, reason)"
)
_OPEN = text(f"""
WITH split AS ({_SPLIT}),
opened AS (
    INSERT INTO assessments (id, tenant_id, program_id, clause_id, status, current_practice,
                             gap_description, justification, priority, implementation,
                             assessed_by_id, assessed_at)
    SELECT gen_random_uuid(), p.tenant_id, p.id, split.leaf_id,
           coalesce(f.status, 'not_assessed'), coalesce(f.current_practice, ''),
           coalesce(f.gap_description, ''), coalesce(f.justification, ''),
           f.priority, f.implementation, f.assessed_by_id, f.assessed_at
    FROM programs p
    CROSS JOIN split
    LEFT JOIN assessments f
           ON f.program_id = p.id AND f.clause_id = split.former_id
          AND f.status <> 'not_assessed'
    WHERE p.standard_id = :standard_id
    ON CONFLICT ON CONSTRAINT uq_assessments_program_clause DO NOTHING
    RETURNING id, tenant_id, clause_id, status, current_practice, gap_description,
              justification, priority, implementation
),
carried AS (
    INSERT INTO assessment_changes (id, tenant_id, assessment_id, changed_by_id, changed_at,
                                    before, after)
    SELECT gen_random_uuid(), o.tenant_id, o.id, NULL, now(), CAST(:before AS jsonb),
           jsonb_build_object(
               'status', o.status, 'current_practice', o.current_practice,
               'gap_description', o.gap_description, 'justification', o.justification,
               'priority', o.priority, 'implementation', o.implementation,
               'source', CAST(:source AS text), 'reason', split.reason)
    FROM opened o JOIN split ON split.leaf_id = o.clause_id
    WHERE o.status <> 'not_assessed'
    RETURNING id
)
SELECT (SELECT count(*) FROM opened) AS opened, (SELECT count(*) FROM carried) AS carried
""")


def _copy_links(table: str, columns: Sequence[str]) -> str:
    listed = ", ".join(columns)
    taken = ", ".join(f"link.{column}" for column in columns)
    return (
        f"WITH split AS ({_SPLIT}) INSERT INTO {table} (id, clause_id, {listed})"
        f" SELECT gen_random_uuid(), split.leaf_id, {taken} FROM {table} link"
        " JOIN split ON link.clause_id = split.former_id ON CONFLICT DO NOTHING"
    )


@dataclass(frozen=True)
class NewLeaf:
    """A clause that is assessable now and was not before, and the former leaf above it
    (None for a clause that is simply new)."""

    number: str
    former: str | None


@dataclass(frozen=True)
class Upgrade:
    """What a reload did to running programs."""

    opened: int = 0  # assessments of new leaves
    carried: int = 0  # of those, the ones that took over a former leaf's judgement


async def stored_leaves(connection: AsyncConnection, standard_id: uuid.UUID) -> set[str]:
    """The numbers of the standard's assessable clauses as stored, before a reload."""
    rows = await connection.scalars(
        select(Clause.number).where(Clause.standard_id == standard_id, Clause.assessable)
    )
    return set(rows)


def new_leaves(data: StandardData, leaves_before: set[str]) -> list[NewLeaf]:
    """The leaves of `data` that were not leaves before, each with its former-leaf ancestor."""
    parents = {node.number: node.parent_number for node in data.nodes}
    found = []
    for node in data.nodes:
        if not node.assessable or node.number in leaves_before:
            continue
        former = node.parent_number
        while former is not None and former not in leaves_before:
            former = parents.get(former)
        found.append(NewLeaf(node.number, former))
    return found


def _reason(label: str, former: str, parts: list[str]) -> str:
    return (
        f"{label} clause {former} is now divided into {', '.join(parts)}; its judgement was"
        " carried over to each of them."
    )


async def open_new_leaves(
    connection: AsyncConnection,
    standard_id: uuid.UUID,
    data: StandardData,
    leaves_before: set[str],
) -> Upgrade:
    """Give every program of the standard what the reload's new leaves need (see above)."""
    leaves = new_leaves(data, leaves_before)
    if not leaves:
        return Upgrade()
    ids = {
        row.number: row.id
        for row in await connection.execute(
            select(Clause.number, Clause.id).where(Clause.standard_id == standard_id)
        )
    }
    parts: dict[str, list[str]] = {}
    for leaf in leaves:
        if leaf.former is not None:
            parts.setdefault(leaf.former, []).append(leaf.number)
    split = {
        "leaves": [ids[leaf.number] for leaf in leaves],
        "formers": [ids[leaf.former] if leaf.former else None for leaf in leaves],
        "reasons": [
            _reason(data.label, leaf.former, parts[leaf.former]) if leaf.former else None
            for leaf in leaves
        ],
    }
    async with _row_security_lifted(connection):
        counts = (
            await connection.execute(
                _OPEN,
                {
                    **split,
                    "standard_id": standard_id,
                    "before": json.dumps(NOT_ASSESSED),
                    "source": SOURCE,
                },
            )
        ).one()
        if parts:
            for table, columns in LINKS.items():
                await connection.execute(text(_copy_links(table, columns)), split)
    return Upgrade(opened=int(counts.opened), carried=int(counts.carried))


@asynccontextmanager
async def _row_security_lifted(connection: AsyncConnection) -> AsyncIterator[None]:
    """Let the owner see and write every tenant's rows of the touched tables, for the block.

    Superusers and roles with BYPASSRLS need nothing. Anyone else lifts FORCE ROW LEVEL
    SECURITY (which only the owner may) and restores it; if the block fails, the transaction
    is rolled back, and the lift with it.
    """
    bypasses = await connection.scalar(
        text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
    )
    if bypasses:
        yield
        return
    for table in TOUCHED_TABLES:
        await connection.execute(text(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"))
    yield
    for table in TOUCHED_TABLES:
        await connection.execute(text(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))
