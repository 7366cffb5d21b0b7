"""What each spreadsheet export holds, read through the other areas' models: a few
statements per export whatever its size (one per sheet, plus the people it names).

Coded values are written as words ("partially implemented"); instants as the organization's
date (`core.calendar`), so a filter on a day means the day the organization lived.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Clause, ClauseKind
from backend.core.calendar import local_date
from backend.core.errors import invalid
from backend.db.session import TenantSession
from backend.findings.models import CorrectiveAction, Finding, FindingRequirement
from backend.planning.models import Action, ActionRequirement, Milestone, Objective
from backend.registers.models import EntryKind, RegisterEntry
from backend.reports.models import ReportKind
from backend.reports.workbook import Column, Sheet, Value
from tenants.models import User


@dataclass(frozen=True)
class Source:
    """What an export reads: the program, and the organization's time zone for its dates."""

    db: TenantSession
    program_id: uuid.UUID
    timezone: str

    def day(self, instant: datetime | None) -> date | None:
        return None if instant is None else local_date(instant, self.timezone)


def words(value: str | None) -> str:
    """A stored code as a reader says it: "partially_implemented" -> "partially implemented"."""
    return "" if value is None else value.replace("_", " ")


async def _names(db: TenantSession, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found = await db.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {row.id: row.name for row in found}


def _joined(pairs: Iterable[tuple[uuid.UUID, str]], separator: str = ", ") -> dict[uuid.UUID, str]:
    """Values per owner, in the order given, joined for one cell."""
    grouped: dict[uuid.UUID, list[str]] = defaultdict(list)
    for owner_id, value in pairs:
        grouped[owner_id].append(value)
    return {key: separator.join(values) for key, values in grouped.items()}


# --- gap analysis ------------------------------------------------------------------------

GAP_COLUMNS = (
    Column("Requirement", 12),
    Column("Title", 40),
    Column("Status", 16),
    Column("Current practice", 50),
    Column("Gap", 50),
    Column("Priority", 10),
    Column("Justification", 40),
    Column("Actions", 40),
    Column("Assessed on", 12),
)


async def gap_analysis(source: Source) -> list[Sheet]:
    found = await source.db.execute(
        select(Clause.number, Clause.title, Assessment)
        .join(Assessment, Assessment.clause_id == Clause.id)
        .where(Assessment.program_id == source.program_id, Clause.assessable)
        .order_by(Clause.position)
    )
    actions = await source.db.execute(
        select(ActionRequirement.clause_id, Action.title)
        .join(Action, Action.id == ActionRequirement.action_id)
        .where(Action.program_id == source.program_id)
        .order_by(Action.created_at, Action.id)
    )
    titles = _joined(actions.all(), "; ")
    rows: list[Sequence[Value]] = [
        (
            number,
            title,
            words(row.status),
            row.current_practice,
            row.gap_description,
            words(row.priority),
            row.justification,
            titles.get(row.clause_id, ""),
            source.day(row.assessed_at),
        )
        for number, title, row in found.all()
    ]
    return [Sheet("Gap analysis", GAP_COLUMNS, rows)]


# --- Statement of Applicability ----------------------------------------------------------

SOA_COLUMNS = (
    Column("Control", 10),
    Column("Title", 40),
    Column("Theme", 14),
    Column("Applicability", 16),
    Column("Justification", 50),
    Column("Assessment status", 16),
    Column("Implementation status", 20),
)


def applicability(status: str) -> str:
    """Applicability is a judgement: an unassessed control is neither applicable nor not."""
    if status == Conformity.NOT_ASSESSED.value:
        return "not yet assessed"
    return "not applicable" if status == Conformity.NOT_APPLICABLE.value else "applicable"


async def statement_of_applicability(source: Source) -> list[Sheet]:
    found = await source.db.execute(
        select(Clause.number, Clause.title, Clause.theme, Assessment)
        .join(Assessment, Assessment.clause_id == Clause.id)
        .where(Assessment.program_id == source.program_id, Clause.kind == ClauseKind.CONTROL.value)
        .order_by(Clause.position)
    )
    rows: list[Sequence[Value]] = [
        (
            number,
            title,
            theme or "",
            applicability(row.status),
            row.justification,
            words(row.status),
            words(row.implementation),
        )
        for number, title, theme, row in found.all()
    ]
    if not rows:
        raise invalid(
            "This program's standard has no annex controls, so no Statement of"
            " Applicability; it belongs to ISO/IEC 27001 programs.",
            ["programId"],
        )
    return [Sheet("Statement of Applicability", SOA_COLUMNS, rows)]


# --- findings and their corrective actions -----------------------------------------------

FINDING_COLUMNS = (
    Column("Reference", 14),
    Column("Type", 22),
    Column("Source", 18),
    Column("Status", 14),
    Column("Requirements", 16),
    Column("Statement", 50),
    Column("Owner", 20),
    Column("Due", 12),
    Column("Correction", 40),
    Column("Root cause", 40),
    Column("Raised on", 12),
    Column("Closed on", 12),
)
CORRECTIVE_COLUMNS = (
    Column("Finding", 14),
    Column("Round", 8),
    Column("Action", 40),
    Column("Status", 12),
    Column("Owner", 20),
    Column("Due", 12),
    Column("Completed on", 12),
)


async def findings(source: Source) -> list[Sheet]:
    db, program = source.db, source.program_id
    linked = await db.execute(
        select(FindingRequirement.finding_id, Clause.number)
        .join(Clause, Clause.id == FindingRequirement.clause_id)
        .where(FindingRequirement.program_id == program)
        .order_by(Clause.position)
    )
    requirements = _joined(linked.all())
    rows = (
        await db.scalars(
            select(Finding).where(Finding.id.in_(requirements)).order_by(Finding.reference)
        )
    ).all()
    corrective = (
        await db.execute(
            select(CorrectiveAction.finding_id, CorrectiveAction.round, Action)
            .join(Action, Action.id == CorrectiveAction.action_id)
            .where(CorrectiveAction.finding_id.in_(requirements))
            .order_by(CorrectiveAction.round, Action.created_at)
        )
    ).all()
    names = await _names(db, [r.owner_id for r in rows] + [a.owner_id for _, _, a in corrective])
    references = {row.id: row.reference for row in rows}
    return [
        Sheet(
            "Findings", FINDING_COLUMNS, [_finding(source, r, requirements, names) for r in rows]
        ),
        Sheet(
            "Corrective actions",
            CORRECTIVE_COLUMNS,
            [
                (
                    references[finding_id],
                    round_,
                    action.title,
                    words(action.status),
                    names.get(action.owner_id, "") if action.owner_id else "",
                    action.due_date,
                    source.day(action.completed_at),
                )
                for finding_id, round_, action in corrective
            ],
        ),
    ]


def _finding(
    source: Source, row: Finding, requirements: dict[uuid.UUID, str], names: dict[uuid.UUID, str]
) -> Sequence[Value]:
    return (
        row.reference,
        words(row.type),
        words(row.source),
        words(row.status),
        requirements[row.id],
        row.statement,
        _name(names, row.owner_id),
        row.due_date,
        row.correction,
        row.root_cause,
        source.day(row.created_at),
        source.day(row.closed_at),
    )


def _name(names: dict[uuid.UUID, str], user_id: uuid.UUID | None) -> str:
    return "" if user_id is None else names.get(user_id, "")


# --- the action plan ---------------------------------------------------------------------

OBJECTIVE_COLUMNS = (
    Column("Objective", 50),
    Column("Indicator", 30),
    Column("Target", 20),
    Column("Benefit", 20),
    Column("Status", 12),
    Column("Owner", 20),
    Column("Due", 12),
)
ACTION_COLUMNS = (
    Column("Action", 40),
    Column("Objective", 40),
    Column("Requirements", 16),
    Column("Status", 12),
    Column("Owner", 20),
    Column("Due", 12),
    Column("Effort (hours)", 10),
    Column("Completed on", 12),
)
MILESTONE_COLUMNS = (Column("Milestone", 40), Column("Due", 12), Column("Reached on", 12))


async def action_plan(source: Source) -> list[Sheet]:
    db, program = source.db, source.program_id
    objectives = (
        await db.scalars(
            select(Objective)
            .where(Objective.program_id == program)
            .order_by(Objective.created_at, Objective.id)
        )
    ).all()
    actions = (
        await db.scalars(
            select(Action)
            .where(Action.program_id == program)
            .order_by(Action.created_at, Action.id)
        )
    ).all()
    linked = await db.execute(
        select(ActionRequirement.action_id, Clause.number)
        .join(Clause, Clause.id == ActionRequirement.clause_id)
        .join(Action, Action.id == ActionRequirement.action_id)
        .where(Action.program_id == program)
        .order_by(Clause.position)
    )
    requirements = _joined(linked.all())
    milestones = (
        await db.scalars(
            select(Milestone).where(Milestone.program_id == program).order_by(Milestone.due_date)
        )
    ).all()
    names = await _names(db, [o.owner_id for o in objectives] + [a.owner_id for a in actions])
    statements = {row.id: row.statement for row in objectives}
    return [
        Sheet(
            "Objectives",
            OBJECTIVE_COLUMNS,
            [
                (
                    row.statement,
                    row.indicator,
                    row.target,
                    words(row.benefit),
                    words(row.status),
                    _name(names, row.owner_id),
                    row.due_date,
                )
                for row in objectives
            ],
        ),
        Sheet(
            "Actions",
            ACTION_COLUMNS,
            [
                (
                    row.title,
                    statements.get(row.objective_id, "") if row.objective_id else "",
                    requirements.get(row.id, ""),
                    words(row.status),
                    _name(names, row.owner_id),
                    row.due_date,
                    row.effort_hours,
                    source.day(row.completed_at),
                )
                for row in actions
            ],
        ),
        Sheet(
            "Milestones",
            MILESTONE_COLUMNS,
            [(row.title, row.due_date, source.day(row.reached_at)) for row in milestones],
        ),
    ]


# --- registers ---------------------------------------------------------------------------

COMMON = ("reference", "title", "owner", "review_on", "description")
OWN_COLUMNS: dict[EntryKind, tuple[str, ...]] = {
    EntryKind.RISK: ("nature", "context", "likelihood", "impact"),
    EntryKind.SECURITY_RISK: (
        "asset",
        "threat",
        "vulnerability",
        "likelihood",
        "impact",
        "treatment",
        "residual_likelihood",
        "residual_impact",
    ),
    EntryKind.ASPECT: ("activity", "consequence", "condition", "likelihood", "impact"),
    EntryKind.HAZARD: ("activity", "consequence", "exposed", "likelihood", "impact"),
    EntryKind.OBLIGATION: (
        "source",
        "applicability",
        "evaluation_months",
        "evaluated_on",
        "evaluation_result",
    ),
    EntryKind.INCIDENT: ("occurred_on", "incident_kind", "severity", "investigation"),
    EntryKind.IMPROVEMENT: ("improvement_source", "improvement_status", "benefit", "result"),
}
SHEET_TITLES = {
    EntryKind.RISK: "Risks and opportunities",
    EntryKind.SECURITY_RISK: "Security risks",
    EntryKind.ASPECT: "Environmental aspects",
    EntryKind.HAZARD: "Hazards",
    EntryKind.OBLIGATION: "Compliance obligations",
    EntryKind.INCIDENT: "Incidents",
    EntryKind.IMPROVEMENT: "Improvements",
}
CODED = frozenset(
    {"nature", "treatment", "condition", "evaluation_result", "incident_kind", "severity"}
    | {"improvement_source", "improvement_status", "benefit"}
)


async def registers(source: Source) -> list[Sheet]:
    """One sheet per register the program keeps (archived entries left out), in the order
    of `EntryKind`; a program without entries gets the risks sheet, empty, with its header."""
    rows = (
        await source.db.scalars(
            select(RegisterEntry)
            .where(
                RegisterEntry.program_id == source.program_id,
                RegisterEntry.archived_at.is_(None),
            )
            .order_by(RegisterEntry.reference)
        )
    ).all()
    names = await _names(source.db, [row.owner_id for row in rows])
    kinds: dict[EntryKind, list[RegisterEntry]] = defaultdict(list)
    for row in rows:
        kinds[EntryKind(row.kind)].append(row)
    present = [kind for kind in EntryKind if kind in kinds] or [EntryKind.RISK]
    return [_register(kind, kinds[kind], names) for kind in present]


def _register(kind: EntryKind, rows: Sequence[RegisterEntry], names: dict[uuid.UUID, str]) -> Sheet:
    fields = (*COMMON, *OWN_COLUMNS[kind])
    columns = [
        Column(_header(name), 40 if name in ("title", "description") else 14) for name in fields
    ]
    return Sheet(
        SHEET_TITLES[kind],
        columns,
        [[_entry_value(row, name, names) for name in fields] for row in rows],
    )


def _header(field: str) -> str:
    return field.replace("_", " ").capitalize()


def _entry_value(row: RegisterEntry, field: str, names: dict[uuid.UUID, str]) -> Value:
    if field == "owner":
        return _name(names, row.owner_id)
    value: Value = getattr(row, field)
    return words(value) if field in CODED and isinstance(value, str | None) else value


Export = Callable[[Source], Awaitable[list[Sheet]]]
EXPORTS: dict[ReportKind, Export] = {
    ReportKind.GAP_ANALYSIS: gap_analysis,
    ReportKind.STATEMENT_OF_APPLICABILITY: statement_of_applicability,
    ReportKind.FINDINGS: findings,
    ReportKind.ACTION_PLAN: action_plan,
    ReportKind.REGISTERS: registers,
}
"""The spreadsheet kinds and what each holds."""
