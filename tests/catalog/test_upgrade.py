"""Reloading a standard whose clauses gained sub-clauses keeps running programs whole.

The upgrade under test is the real one: ISO 9001:2015 as shipped now, loaded over the tree
it had before its untitled numbered paragraphs became nodes (built from the shipped file by
folding every run of such paragraphs back into its clause). Both load under a code of the
test's own, so the shared catalog is never touched.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.assessments import service as assessments
from backend.assessments.criteria import every_requirement_assessed
from backend.assessments.models import Assessment, Conformity, Priority
from backend.catalog.loader import (
    DATA_DIR,
    LoadReport,
    Outcome,
    StandardData,
    load_catalog,
    read_catalog,
)
from backend.catalog.models import Clause, Standard
from backend.catalog.upgrade import SOURCE, TOUCHED_TABLES, Upgrade
from backend.core.access import Actor
from backend.core.errors import ServiceError
from backend.db.session import TenantSession, execution_options_skipping_criteria
from backend.documents.models import DocumentRequirement, DocumentType
from backend.documents.service import DocumentFields, create_document, link_requirement
from backend.evidence.models import EvidenceItem, EvidenceKind, EvidenceLink
from backend.planning.criteria import every_gap_has_an_action
from backend.planning.models import ActionRequirement
from backend.planning.service import ActionFields, create_action
from backend.programs.judgements import Judgement
from backend.programs.models import Program
from backend.programs.service import StandardRef, start_program
from backend.runtime import Runtime
from backend.training.models import TrainingSessionClause, TrainingType
from backend.training.service import SessionFields, create_session
from tenants.roles import Role
from tenants.scope import TenantScope
from tests.catalog.helpers import write
from tests.support import World, judge

EDITION = "2015"
DIVIDED = {
    "4.4": ["4.4.1", "4.4.2"],
    "6.1": ["6.1.1", "6.1.2"],
    "6.2": ["6.2.1", "6.2.2"],
    "7.5.3": ["7.5.3.1", "7.5.3.2"],
    "8.2.3": ["8.2.3.1", "8.2.3.2"],
    "8.7": ["8.7.1", "8.7.2"],
    "9.2": ["9.2.1", "9.2.2"],
    "10.2": ["10.2.1", "10.2.2"],
}
GAP = "Audits happen, but nobody plans which processes to audit."
EXCLUDED = "Nothing we make can be delivered while it does not conform."


def _undivided(nodes: list[dict[str, Any]]) -> None:
    """Fold sub-clauses that are all untitled paragraphs back into their clause."""
    for node in nodes:
        children = node.get("children", [])
        if children and all(child.get("descriptive_title") for child in children):
            del node["children"]
        else:
            _undivided(children)


def _documents() -> tuple[dict[str, Any], dict[str, Any]]:
    """The tree before and after, as data files of a standard code of the test's own."""
    after = yaml.safe_load((DATA_DIR / "iso-9001-2015.yaml").read_text())
    after["code"] = f"TEST 9001 {uuid.uuid4().hex[:8]}"
    before = copy.deepcopy(after)
    _undivided(before["clauses"])
    return before, after


async def _load(owner: AsyncEngine, directory: Path) -> LoadReport:
    async with owner.begin() as connection:
        [report] = await load_catalog(connection, read_catalog(directory))
    return report


@pytest.fixture
async def scratch(owner_engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Path]:
    """A data directory of its own; the standards loaded from it are removed afterwards."""
    yield tmp_path
    codes = [standard.code for standard in read_catalog(tmp_path)]
    async with owner_engine.begin() as connection:
        ids = select(Standard.id).where(Standard.code.in_(codes))
        await connection.execute(delete(Program).where(Program.standard_id.in_(ids)))
        await connection.execute(delete(Standard).where(Standard.code.in_(codes)))


@dataclass
class Running:
    """Tenant A's program on the old tree, worked on, and tenant B's, just started."""

    code: str
    program: uuid.UUID
    other: uuid.UUID
    owner: uuid.UUID
    action: uuid.UUID
    document: uuid.UUID
    session: uuid.UUID
    evidence: uuid.UUID


async def _acting(db: TenantSession, world: World, org: str) -> Actor:
    user, tenant = world.users[f"{org}_owner"].id, world.orgs[org].id
    await db.set_scope(TenantScope(user, frozenset({tenant}), tenant))
    return Actor(user, tenant, Role.OWNER)


async def _start(db: TenantSession, actor: Actor, code: str) -> uuid.UUID:
    program = await start_program(
        db,
        actor,
        StandardRef(code=code, edition=EDITION),
        scope_statement="Everything we make.",
        target_date=date(2027, 6, 30),
    )
    return program.id


def _judgement(clause: Clause) -> Judgement:
    if clause.number == "9.2":
        return Judgement(clause.id, Conformity.PARTIAL, gap_description=GAP, priority=Priority.HIGH)
    if clause.number == "8.7":
        return Judgement(clause.id, Conformity.NOT_APPLICABLE, justification=EXCLUDED)
    return Judgement(clause.id, Conformity.CONFORMANT, current_practice="Done.")


async def _work_on_the_old_tree(
    runtime: Runtime, owner_engine: AsyncEngine, world: World, code: str
) -> Running:
    """Everything assessed but 6.1; 9.2 a gap with an action, evidence and training; a
    procedure for 7.5.3."""
    async with runtime.sessions() as db:
        actor = await _acting(db, world, "a")
        program = await _start(db, actor, code)
        clauses = (
            await db.scalars(
                select(Clause)
                .join(Standard)
                .where(Standard.code == code, Clause.assessable, Clause.number != "6.1")
                .order_by(Clause.position)
            )
        ).all()
        await assessments.assess_requirements(
            db, actor, program, [_judgement(clause) for clause in clauses]
        )
        action = await create_action(
            db,
            actor,
            program,
            ActionFields(
                title="Plan the audit programme",
                owner_id=actor.user_id,
                due_date=date(2027, 1, 31),
                requirements=["9.2"],
            ),
        )
        document = await create_document(
            db, actor, DocumentFields(type=DocumentType.PROCEDURE, code="QP-04", title="Control")
        )
        await link_requirement(db, actor, document.id, program, "7.5.3")
        session = await create_session(
            db,
            actor,
            program,
            SessionFields(
                type=TrainingType.SEMINAR.value,
                topic="Running internal audits",
                held_on=date(2027, 2, 1),
                duration_minutes=120,
                requirements=["9.2"],
            ),
        )
        other = await _start(db, await _acting(db, world, "b"), code)
        action_id, document_id, session_id = action.id, document.id, session.id
    evidence = await _evidence_for(owner_engine, world, program, code, "9.2")
    return Running(
        code, program, other, actor.user_id, action_id, document_id, session_id, evidence
    )


async def _evidence_for(
    owner_engine: AsyncEngine, world: World, program: uuid.UUID, code: str, number: str
) -> uuid.UUID:
    """An evidence item of A tied to `number` (the upload flow is tested elsewhere)."""
    tenant = world.orgs["a"].id
    async with owner_engine.begin() as connection:
        clause = await connection.scalar(
            select(Clause.id).join(Standard).where(Standard.code == code, Clause.number == number)
        )
        item = uuid.uuid4()
        await connection.execute(
            insert(EvidenceItem).values(
                id=item, tenant_id=tenant, title="Audit report", kind=EvidenceKind.RECORD.value
            )
        )
        await connection.execute(
            insert(EvidenceLink).values(
                id=uuid.uuid4(), tenant_id=tenant, evidence_id=item, program_id=program,
                clause_id=clause,
            )
        )  # fmt: skip
    return item


async def _numbers(
    owner_engine: AsyncEngine, table: Any, column: Any, value: uuid.UUID
) -> list[str]:
    async with owner_engine.connect() as connection:
        rows = await connection.scalars(
            select(Clause.number)
            .join(table, table.clause_id == Clause.id)
            .where(column == value)
            .order_by(Clause.position)
        )
        return list(rows)


async def _assessments(owner_engine: AsyncEngine, program: uuid.UUID) -> dict[str, Assessment]:
    """Every assessment of the program by clause number, former leaves' included."""
    async with AsyncSession(owner_engine) as db:
        rows = await db.execute(
            select(Clause.number, Assessment)
            .join(Clause, Clause.id == Assessment.clause_id)
            .where(Assessment.program_id == program)
            .execution_options(**execution_options_skipping_criteria())
        )
        return dict(rows.all())


async def test_new_leaves_take_over_the_judgement_and_links_of_the_clause_they_divide(
    owner_engine: AsyncEngine, runtime: Runtime, world: World, scratch: Path
) -> None:
    before, after = _documents()
    write(scratch, before)
    assert (await _load(owner_engine, scratch)).outcome is Outcome.CREATED
    running = await _work_on_the_old_tree(runtime, owner_engine, world, before["code"])
    async with runtime.sessions() as db:
        await _acting(db, world, "a")
        program = await db.get(Program, running.program)
        assert program is not None
        assert (await judge(every_requirement_assessed, db, program)).reason == (
            "1 requirement is not assessed yet: 6.1."
        )
        assert (await judge(every_gap_has_an_action, db, program)).met

    write(scratch, after)
    report = await _load(owner_engine, scratch)

    # Two programs, 16 new leaves each; A had judged every divided clause but 6.1.
    assert report.outcome is Outcome.UPDATED
    assert report.upgrade == Upgrade(opened=32, carried=14)
    assert "programs got 32 assessments of new requirements, 14 of them judged" in str(report)
    new = read_catalog(scratch)[0]
    stored = await _assessments(owner_engine, running.program)
    leaves = [node.number for node in new.nodes if node.assessable]
    assert set(stored) == set(leaves) | set(DIVIDED)  # the former leaves keep theirs
    for former, parts in DIVIDED.items():
        for part in parts:
            judged, was = stored[part], stored[former]
            assert (judged.status, judged.gap_description, judged.justification) == (
                was.status,
                was.gap_description,
                was.justification,
            ), part
            assert (judged.priority, judged.assessed_by_id) == (was.priority, was.assessed_by_id)
    assert stored["9.2.1"].status == "partial"
    assert stored["8.7.2"].status == "not_applicable"
    assert stored["6.1.1"].status == "not_assessed"
    other = await _assessments(owner_engine, running.other)
    assert set(other) == set(stored)
    assert {other[part].status for parts in DIVIDED.values() for part in parts} == {"not_assessed"}

    await _the_history_says_why(runtime, world, stored, new)
    await _the_gap_analysis_counts_only_leaves(runtime, world, running)
    assert await _numbers(
        owner_engine, ActionRequirement, ActionRequirement.action_id, running.action
    ) == ["9.2", "9.2.1", "9.2.2"]
    assert await _numbers(
        owner_engine, DocumentRequirement, DocumentRequirement.document_id, running.document
    ) == ["7.5.3", "7.5.3.1", "7.5.3.2"]
    assert await _numbers(
        owner_engine, TrainingSessionClause, TrainingSessionClause.session_id, running.session
    ) == ["9.2", "9.2.1", "9.2.2"]
    assert await _numbers(
        owner_engine, EvidenceLink, EvidenceLink.evidence_id, running.evidence
    ) == ["9.2", "9.2.1", "9.2.2"]

    # Loading again opens and carries nothing more, even when the file changed otherwise.
    changes = await _change_count(owner_engine)
    after["purpose"] += " Reloaded."
    write(scratch, after)
    again = await _load(owner_engine, scratch)
    assert (again.outcome, again.upgrade) == (Outcome.UPDATED, Upgrade())
    assert await _change_count(owner_engine) == changes
    assert len(await _assessments(owner_engine, running.program)) == len(stored)


async def _change_count(owner_engine: AsyncEngine) -> int:
    async with owner_engine.connect() as connection:
        count: int = await connection.scalar(text("SELECT count(*) FROM assessment_changes"))
        return count


async def _the_history_says_why(
    runtime: Runtime, world: World, stored: dict[str, Assessment], new: StandardData
) -> None:
    async with runtime.sessions() as db:
        await _acting(db, world, "a")
        [[change]] = await assessments.histories(db, [stored["9.2.1"].id])
        [[assessor]] = await assessments.histories(db, [stored["9.2"].id])
        [untouched] = await assessments.histories(db, [stored["6.1.1"].id])
    assert change.changed_by_id is None
    assert change.before["status"] == "not_assessed"
    assert (change.after["status"], change.after["gap_description"]) == ("partial", GAP)
    assert change.after["source"] == SOURCE == "catalog_change"
    assert change.after["reason"] == (
        f"{new.label} clause 9.2 is now divided into 9.2.1, 9.2.2; its judgement was carried"
        " over to each of them."
    )
    assert assessor.changed_by_id == world.users["a_owner"].id  # 9.2's own history stays
    assert untouched == []


async def _the_gap_analysis_counts_only_leaves(
    runtime: Runtime, world: World, running: Running
) -> None:
    async with runtime.sessions() as db:
        actor = await _acting(db, world, "a")
        program = await db.get(Program, running.program)
        assert program is not None
        assessed = await judge(every_requirement_assessed, db, program)
        assert assessed.reason == "2 requirements are not assessed yet: 6.1.1, 6.1.2."
        planned = await judge(every_gap_has_an_action, db, program)
        assert (planned.met, planned.reason) == (
            True,
            "Each of the 2 gaps has an owned, dated action.",
        )
        gaps = await assessments.gaps(db, running.program)
        assert [clause.number for _, clause in gaps] == ["9.2.1", "9.2.2"]
        listed = await db.execute(
            assessments.requirements_of(
                running.program, assessments.Filters(clause="9.2")
            ).order_by(Clause.position)
        )
        assert [clause.number for clause in listed] == ["9.2.1", "9.2.2"]
        group = await db.scalar(
            select(Assessment)
            .join(Clause, Clause.id == Assessment.clause_id)
            .where(Assessment.program_id == running.program, Clause.number == "9.2")
        )
        assert group is not None
        with pytest.raises(ServiceError, match="Requirement not found"):
            await assessments.assess_requirement(
                db, actor, running.program, group.clause_id, status=Conformity.CONFORMANT
            )
        with pytest.raises(ServiceError, match="divided into sub-clauses"):
            await assessments.apply_to_siblings(db, actor, group.id, [running.other])


async def test_a_judgement_of_a_harmonized_clause_reaches_every_part_of_a_divided_one(
    runtime: Runtime, world: World
) -> None:
    async with runtime.sessions() as db:
        actor = await _acting(db, world, "a")
        environment = await _start(db, actor, "ISO 14001")
        quality = await _start(db, actor, "ISO 9001")
        ids = {
            (row.code, row.number): row.id
            for row in await db.execute(
                select(Standard.code, Clause.number, Clause.id)
                .join(Standard)
                .where(Standard.code.in_(["ISO 9001", "ISO 14001"]))
            )
        }
        corrective = await assessments.assess_requirement(
            db,
            actor,
            environment,
            ids[("ISO 14001", "10.2")],
            status=Conformity.NONCONFORMANT,
            gap_description="Causes are never looked for.",
        )
        copied = await assessments.apply_to_siblings(db, actor, corrective.id, [quality])
        assert [row.clause_id for row in copied] == [
            ids[("ISO 9001", "10.2.1")],
            ids[("ISO 9001", "10.2.2")],
        ]
        programme = await assessments.assess_requirement(
            db, actor, quality, ids[("ISO 9001", "9.2.2")], status=Conformity.CONFORMANT
        )
        [audit] = await assessments.apply_to_siblings(db, actor, programme.id, [environment])
        assert audit.clause_id == ids[("ISO 14001", "9.2.2")]
        objectives = await assessments.assess_requirement(
            db, actor, quality, ids[("ISO 9001", "6.2.1")], status=Conformity.CONFORMANT
        )
        [target] = await assessments.apply_to_siblings(db, actor, objectives.id, [environment])
        assert target.clause_id == ids[("ISO 14001", "6.2.1")]


async def test_an_owner_that_cannot_bypass_row_security_still_reaches_every_tenant(
    owner_engine: AsyncEngine, runtime: Runtime, world: World, scratch: Path
) -> None:
    """Tenant tables force row-level security on their owner too: a schema owner without
    BYPASSRLS lifts the force for the upgrade and restores it in the same transaction.
    Played in a transaction that is rolled back, as a role made owner for the occasion."""
    before, after = _documents()
    write(scratch, before)
    await _load(owner_engine, scratch)
    async with runtime.sessions() as db:
        actor = await _acting(db, world, "a")
        program = await _start(db, actor, before["code"])
        audit = await db.scalar(
            select(Clause.id)
            .join(Standard)
            .where(Standard.code == before["code"], Clause.number == "9.2")
        )
        assert audit is not None
        await assessments.assess_requirement(
            db, actor, program, audit, status=Conformity.CONFORMANT, current_practice="Yes."
        )
        await _start(db, await _acting(db, world, "b"), before["code"])
    write(scratch, after)
    role = f"catalog_owner_{uuid.uuid4().hex[:8]}"
    forced = "SELECT count(*) FROM pg_class WHERE relname = ANY(:tables) AND relforcerowsecurity"
    tables = list(TOUCHED_TABLES)
    async with owner_engine.connect() as connection:
        transaction = await connection.begin()
        try:
            await connection.execute(text(f'CREATE ROLE "{role}" NOSUPERUSER NOBYPASSRLS'))
            for table in (*tables, "standards", "clauses"):
                await connection.execute(text(f'ALTER TABLE {table} OWNER TO "{role}"'))
            await connection.execute(text(f'SET LOCAL ROLE "{role}"'))
            [report] = await load_catalog(connection, read_catalog(scratch))
            still_forced = await connection.scalar(text(forced), {"tables": tables})
            await connection.execute(text("RESET ROLE"))
            carried = await connection.scalar(
                text("SELECT count(*) FROM assessment_changes WHERE after ->> 'source' = :s"),
                {"s": SOURCE},
            )
        finally:
            await transaction.rollback()
    assert report.upgrade == Upgrade(opened=32, carried=2)
    assert (still_forced, carried) == (len(tables), 2)
