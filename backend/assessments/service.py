"""Rules of the gap analysis: judging each requirement of a program and keeping every change.

An assessment is stated whole: each judgement replaces status, current practice, gap,
justification, priority and implementation together, so what the history records as
"after" is exactly what the assessor said. A judgement that changes nothing writes nothing.

Changes happen only in the tenant the caller acts in, with a role that may write; another
tenant's programs and assessments are reported as not found, like ids that do not exist.
Every function costs a bounded number of statements, however many requirements it touches.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Uuid, any_, bindparam, case, cast, exists, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased

from backend.assessments.models import (
    Assessment,
    AssessmentChange,
    Conformity,
    Implementation,
    Priority,
)
from backend.catalog.models import Clause, Standard
from backend.core.access import Actor, require_writer
from backend.core.errors import ServiceError, invalid, not_found
from backend.db.batch import among, by_id, fields_of, ids_parameter
from backend.db.session import TenantSession
from backend.planning.models import Action, ActionRequirement, ActionStatus
from backend.portfolio.models import RequirementAssignment
from backend.programs.judgements import (  # the rules of one judgement, shared with imports
    GAP_STATUSES,
    MAX_ITEMS,
    Judgement,
    in_items,
    judge,
    record,
    refuse,
    top_level,
)
from backend.programs.models import Program

# Gaps to close first: high, medium, low, then those nobody ranked yet.
PRIORITY_ORDER = case(
    *((Assessment.priority == priority.value, rank) for rank, priority in enumerate(Priority)),
    else_=len(Priority),
)


async def assess_requirement(
    db: TenantSession,
    actor: Actor,
    program_id: uuid.UUID,
    clause_id: uuid.UUID,
    *,
    status: Conformity,
    current_practice: str = "",
    gap_description: str = "",
    justification: str = "",
    priority: Priority | None = None,
    implementation: Implementation | None = None,
) -> Assessment:
    """State how the program meets one requirement; the previous judgement goes to history."""
    judgement = Judgement(
        clause_id,
        status,
        current_practice,
        gap_description,
        justification,
        priority,
        implementation,
    ).cleaned()
    [assessment] = await judge(db, actor, program_id, [judgement], top_level)
    return assessment


async def assess_requirements(
    db: TenantSession, actor: Actor, program_id: uuid.UUID, judgements: Sequence[Judgement]
) -> list[Assessment]:
    """Assess many requirements at once: all are saved, or none and every problem is reported."""
    if not 1 <= len(judgements) <= MAX_ITEMS:
        raise invalid(f"Assess 1 to {MAX_ITEMS} requirements at a time.", ["items"])
    cleaned = [judgement.cleaned() for judgement in judgements]
    return await judge(db, actor, program_id, cleaned, in_items)


# --- integrated management systems ---------------------------------------------------------


async def apply_to_siblings(
    db: TenantSession, actor: Actor, assessment_id: uuid.UUID, program_ids: Sequence[uuid.UUID]
) -> list[Assessment]:
    """Copy one assessment to the equivalent requirement of other programs of the organization.

    Equivalent means the same harmonized-structure clause: the requirement with that key, or
    every requirement under the grouping node that has it (a standard that divides the clause
    gets the judgement on each part). The programs are named one by one: a program that
    cannot take the assessment is refused by name, never skipped.
    Implementation status is not copied; it belongs to one program's annex controls.
    """
    source, clause = await _source(db, actor, assessment_id)
    if not clause.assessable:
        raise invalid(
            "This clause is divided into sub-clauses now; apply the assessment of one of them.",
            ["assessmentId"],
        )
    hs_key = clause.hs_key
    if hs_key is None:
        raise invalid("This requirement has no counterpart in other standards.", ["assessmentId"])
    if source.status == Conformity.NOT_ASSESSED:
        raise invalid("Assess the requirement before applying it elsewhere.", ["assessmentId"])
    refuse(_program_list_problems(program_ids, source.program_id))
    programs = await _named_programs(db, program_ids)
    targets = await _equivalents(db, program_ids, hs_key)
    refuse(_sibling_problems(program_ids, programs, targets, source.tenant_id, hs_key))
    now = datetime.now(UTC)
    recorded = [
        record(db, actor, target, _copy(source, target), now)
        for program_id in program_ids
        for target in targets[program_id]
    ]
    await db.commit()
    return recorded


async def _source(
    db: TenantSession, actor: Actor, assessment_id: uuid.UUID
) -> tuple[Assessment, Clause]:
    row = (
        await db.execute(
            select(Assessment, Clause)
            .join(Clause, Clause.id == Assessment.clause_id)
            .where(Assessment.id == assessment_id)
        )
    ).first()
    if row is None:
        raise not_found("Assessment", ["assessmentId"])
    require_writer(db, actor, row[0].tenant_id, "Assessment")
    return row[0], row[1]


def _program_list_problems(
    program_ids: Sequence[uuid.UUID], source_program: uuid.UUID
) -> list[ServiceError]:
    if not 1 <= len(program_ids) <= MAX_ITEMS:
        return [
            invalid(f"Name 1 to {MAX_ITEMS} programs to apply the assessment to.", ["programIds"])
        ]
    errors = []
    for index, program_id in enumerate(program_ids):
        at = ["programIds", str(index)]
        if program_id == source_program:
            errors.append(invalid("That is the program the assessment belongs to.", at))
        elif program_id in program_ids[:index]:
            errors.append(invalid("This program is named more than once.", at))
    return errors


async def _named_programs(
    db: TenantSession, program_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Each readable program's tenant and the name of its standard ("ISO 14001:2015")."""
    rows = await db.execute(
        select(Program.id, Program.tenant_id, Standard.code, Standard.edition)
        .join(Standard, Standard.id == Program.standard_id)
        .where(among(Program.id, program_ids))
    )
    return {row.id: (row.tenant_id, f"{row.code}:{row.edition}") for row in rows}


async def _equivalents(
    db: TenantSession, program_ids: Sequence[uuid.UUID], hs_key: str
) -> dict[uuid.UUID, list[Assessment]]:
    """The programs' assessments of requirements of harmonized clause `hs_key` (the clause
    with that key, or the leaves under it when it is a grouping node), locked."""
    keyed = aliased(Clause)
    of_the_clause = exists().where(
        keyed.standard_id == Clause.standard_id,
        keyed.hs_key == hs_key,
        (keyed.id == Clause.id) | Clause.number.startswith(keyed.number.concat(".")),
    )
    rows = await db.scalars(
        select(Assessment)
        .join(Clause, Clause.id == Assessment.clause_id)
        .where(among(Assessment.program_id, program_ids), Clause.assessable, of_the_clause)
        .order_by(Clause.position)
        .with_for_update(of=Assessment)
    )
    found: dict[uuid.UUID, list[Assessment]] = defaultdict(list)
    for assessment in rows:
        found[assessment.program_id].append(assessment)
    return found


def _sibling_problems(
    program_ids: Sequence[uuid.UUID],
    programs: dict[uuid.UUID, tuple[uuid.UUID, str]],
    targets: dict[uuid.UUID, list[Assessment]],
    tenant_id: uuid.UUID,
    hs_key: str,
) -> list[ServiceError]:
    errors = []
    for index, program_id in enumerate(program_ids):
        at = ["programIds", str(index)]
        if program_id not in programs:
            errors.append(not_found("Program", at))
            continue
        program_tenant, standard = programs[program_id]
        if program_tenant != tenant_id:
            errors.append(invalid(f"The {standard} program belongs to another organization.", at))
        elif not targets.get(program_id):
            errors.append(
                invalid(f"The {standard} program has no requirement of clause {hs_key}.", at)
            )
    return errors


def _copy(source: Assessment, target: Assessment) -> Judgement:
    """The source's judgement for `target`; the target keeps its own implementation status,
    unless the judgement excludes it (an excluded control is not implemented)."""
    judgement = Judgement.of(source)
    keeps = judgement.status is not Conformity.NOT_APPLICABLE
    return replace(
        judgement,
        clause_id=target.clause_id,
        implementation=Judgement.of(target).implementation if keeps else None,
    )


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Narrowing of a program's assessments; every part is optional."""

    status: Conformity | None = None
    clause: str | None = None  # a clause number and everything under it: "8.5" or "A.5"
    component: str | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | None = None  # only the requirements this person answers for


def requirements_of(program_id: uuid.UUID, filters: Filters) -> Select[Any]:
    """The program's assessed requirements matching `filters`, as rows of the clauses'
    fields; order them by catalog position.

    Listing clauses (not assessments) keeps the catalog's order keys on the rows themselves,
    which is what keyset pagination needs; `assessments_of_clauses` then fetches their
    assessments in one statement.
    """
    statement = (
        select(*fields_of(Clause))
        .join(Assessment, Assessment.clause_id == Clause.id)
        .where(Assessment.program_id == program_id, Clause.assessable)
    )
    if filters.status is not None:
        statement = statement.where(Assessment.status == filters.status.value)
    if filters.priority is not None:
        statement = statement.where(Assessment.priority == filters.priority.value)
    if filters.clause:
        number = filters.clause.strip()
        statement = statement.where(
            (Clause.number == number) | Clause.number.startswith(f"{number}.", autoescape=True)
        )
    if filters.component:
        statement = statement.where(
            cast(Clause.components, JSONB).contains([filters.component.strip()])
        )
    if filters.assignee_id is not None:
        statement = statement.where(
            exists().where(
                RequirementAssignment.program_id == program_id,
                RequirementAssignment.clause_id == Clause.id,
                RequirementAssignment.assignee_id == filters.assignee_id,
            )
        )
    return statement


async def assessments_of_clauses(
    db: TenantSession, program_id: uuid.UUID, clause_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    """The program's assessments of these clauses, as rows (a dashboard reads 123 of them)."""
    parameters = {"program_id": program_id, "clause_ids": list(clause_ids)}
    rows = await db.execute(_assessments_of_clauses(), parameters)
    return {row.clause_id: row for row in rows}


@cache
def _assessments_of_clauses() -> Select[Any]:
    return select(*fields_of(Assessment)).where(
        Assessment.program_id == bindparam("program_id", type_=Uuid),
        Assessment.clause_id == any_(ids_parameter("clause_ids")),
    )


async def gaps(db: TenantSession, program_id: uuid.UUID) -> list[tuple[Assessment, Clause]]:
    """Partial and nonconformant requirements: high priority first, then in catalog order."""
    rows = await db.execute(
        select(Assessment, Clause)
        .join(Clause, Clause.id == Assessment.clause_id)
        .where(
            Assessment.program_id == program_id,
            Assessment.status.in_([status.value for status in GAP_STATUSES]),
            Clause.assessable,
        )
        .order_by(PRIORITY_ORDER, Clause.position)
    )
    return [(assessment, clause) for assessment, clause in rows]


# --- batches for the API's DataLoaders ----------------------------------------------------


assessments_by_id = by_id(Assessment)


async def histories(
    db: TenantSession, assessment_ids: Sequence[uuid.UUID]
) -> list[list[AssessmentChange]]:
    """Each assessment's changes, oldest first."""
    rows = await db.scalars(
        select(AssessmentChange)
        .where(among(AssessmentChange.assessment_id, assessment_ids))
        .order_by(AssessmentChange.changed_at, AssessmentChange.id)
    )
    grouped: dict[uuid.UUID, list[AssessmentChange]] = defaultdict(list)
    for row in rows:
        grouped[row.assessment_id].append(row)
    return [grouped[i] for i in assessment_ids]


async def action_counts(
    db: TenantSession, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[int]:
    """For each (program id, clause id): how many actions, not cancelled, address it.

    Filtered by the programs and the clauses apart, two array parameters: a list of 123 pairs
    as a tuple IN would build and bind 246 parameters on every request."""
    parameters = {
        "program_ids": list({program_id for program_id, _ in keys}),
        "clause_ids": list({clause_id for _, clause_id in keys}),
    }
    rows = await db.execute(_action_counts(), parameters)
    counts = {(program_id, clause_id): count for program_id, clause_id, count in rows}
    return [counts.get(key, 0) for key in keys]


@cache
def _action_counts() -> Select[uuid.UUID, uuid.UUID, int]:
    return (
        select(Action.program_id, ActionRequirement.clause_id, func.count(Action.id))
        .join(ActionRequirement, ActionRequirement.action_id == Action.id)
        .where(
            Action.program_id == any_(ids_parameter("program_ids")),
            ActionRequirement.clause_id == any_(ids_parameter("clause_ids")),
            Action.status != ActionStatus.CANCELLED.value,
        )
        .group_by(Action.program_id, ActionRequirement.clause_id)
    )
