"""Exit criteria of the internal audit step that audits judge.

A program's audits are those of its current audit programme: the programme covering the
program whose period contains the organization's today, else the one that started last.
Each criterion costs two statements (the programmes, then their facts) for any number of
programs, whatever their size or the number of audits. Management review has no area yet:
its criterion is registered now and always unmet, saying so, so step 6 can never pass
without one.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, bindparam, case, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on

from backend.audits.models import (
    Audit,
    AuditProgramme,
    AuditStatus,
    ChecklistLine,
    ProgrammeRequirement,
)
from backend.audits.queries import Pair, audit_day, coverage_of
from backend.core.calendar import today_sql
from backend.db.session import TenantSession
from backend.programs.criteria import (
    Programs,
    Verdict,
    Verdicts,
    among_asked,
    asked,
    criterion,
    first_named,
    listed,
    shared_facts,
)
from backend.programs.models import StepKey

NO_PROGRAMME = Verdict(False, "No audit programme covers this program yet.")


@shared_facts
async def current_programmes(
    db: TenantSession, programs: Programs
) -> dict[uuid.UUID, AuditProgramme]:
    """Each program's current programme, for all of them in one statement."""
    rows = await db.execute(_current_statement(), asked(programs))
    return dict(rows.all())


@functools.cache
def _current_statement() -> Select[uuid.UUID, AuditProgramme]:
    """Built once, the asked programs bound at execution."""
    today = today_sql(AuditProgramme.tenant_id)
    current = (AuditProgramme.period_start <= today) & (AuditProgramme.period_end >= today)
    return (
        select(ProgrammeRequirement.program_id, AuditProgramme)
        .join(AuditProgramme, AuditProgramme.id == ProgrammeRequirement.programme_id)
        .where(among_asked(ProgrammeRequirement.program_id))
        .ext(distinct_on(ProgrammeRequirement.program_id))
        .order_by(
            ProgrammeRequirement.program_id,
            current.desc(),
            AuditProgramme.period_start.desc(),
            AuditProgramme.id,
        )
    )


def _pairs(programmes: dict[uuid.UUID, AuditProgramme]) -> list[Pair]:
    return [(programme.id, program_id) for program_id, programme in programmes.items()]


@criterion(
    StepKey.INTERNAL_AUDIT,
    "programme-covers-scope",
    "Every clause the audit programme covers is audited as often as its frequency asks.",
)
async def programme_covers_scope(db: TenantSession, programs: Programs) -> Verdicts:
    """Coverage and frequency as `audits.queries` defines them; a clause audited but due
    again (its area has an open nonconformity) is named with "(again)"."""
    programmes = await current_programmes(db, programs)
    found: dict[uuid.UUID, tuple[int, Sequence[str]]] = {}
    if programmes:
        pairs = _pairs(programmes)
        due = coverage_of(sorted({programme for programme, _ in pairs}), pairs).subquery()
        short = due.c.audited < due.c.due
        label = case((due.c.audited == 0, due.c.number), else_=due.c.number + literal(" (again)"))
        rows = await db.execute(
            select(
                due.c.program_id,
                func.count().filter(short),
                first_named(label, due.c.position, where=short),
            ).group_by(due.c.program_id)
        )
        found = {program_id: (int(count), list(named or [])) for program_id, count, named in rows}
    return {
        program.id: _coverage(*found.get(program.id, (0, [])))
        if program.id in programmes
        else NO_PROGRAMME
        for program in programs
    }


def _coverage(count: int, named: Sequence[str]) -> Verdict:
    if count == 0:
        return Verdict(True, "Every clause of the programme is audited as often as due.")
    subject = "1 clause" if count == 1 else f"{count} clauses"
    return Verdict(False, f"{subject} not yet audited: {listed(count, named)}.")


@criterion(
    StepKey.INTERNAL_AUDIT,
    "audits-closed",
    "Every audit of the programme's period is closed or cancelled, and one at least is closed.",
)
async def audits_closed(db: TenantSession, programs: Programs) -> Verdicts:
    """Audits of the program (a checklist line in it) whose day is in the period."""
    programmes = await current_programmes(db, programs)
    found: dict[uuid.UUID, tuple[int, int, Sequence[str]]] = {}
    if programmes:
        rows = await db.execute(_closed_statement(), {PAIRS: _pairs(programmes)})
        found = {row[0]: (int(row[1]), int(row[2]), list(row[3] or [])) for row in rows}
    return {
        program.id: _closed(*found.get(program.id, (0, 0, [])))
        if program.id in programmes
        else NO_PROGRAMME
        for program in programs
    }


PAIRS = "current_pairs"
"""The parameter of `_closed_statement`: the (programme, program) pairs it judges."""


@functools.cache
def _closed_statement() -> Select[uuid.UUID, int, int, list[str]]:
    """Per program: its unfinished and closed audits of the period, the first unfinished
    named. Built once, the current pairs bound at execution."""
    audits = (
        select(ChecklistLine.program_id, Audit.reference, Audit.status, audit_day().label("day"))
        .distinct()
        .join(Audit, Audit.id == ChecklistLine.audit_id)
        .join(AuditProgramme, AuditProgramme.id == Audit.programme_id)
        .where(
            tuple_(Audit.programme_id, ChecklistLine.program_id).in_(
                bindparam(PAIRS, expanding=True)
            ),
            audit_day().between(AuditProgramme.period_start, AuditProgramme.period_end),
        )
        .subquery()
    )
    finished = audits.c.status.in_([AuditStatus.CLOSED.value, AuditStatus.CANCELLED.value])
    return select(
        audits.c.program_id,
        func.count().filter(~finished),
        func.count().filter(audits.c.status == AuditStatus.CLOSED.value),
        first_named(audits.c.reference, audits.c.day, audits.c.reference, where=~finished),
    ).group_by(audits.c.program_id)


def _closed(unfinished: int, closed: int, references: Sequence[str]) -> Verdict:
    if unfinished:
        subject = "1 audit is" if unfinished == 1 else f"{unfinished} audits are"
        return Verdict(False, f"{subject} not closed yet: {listed(unfinished, references)}.")
    if not closed:
        return Verdict(False, "No audit of this program in the programme's period is closed yet.")
    return Verdict(True, "Every audit in the programme's period is closed or cancelled.")
