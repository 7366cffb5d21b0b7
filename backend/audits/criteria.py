"""Exit criteria of the internal audit step that audits judge.

A program's audits are those of its current audit programme: the programme covering the
program whose period contains the organization's today, else the one that started last.
Each criterion costs two statements (the programme, then its facts), whatever the size of
the program or the number of audits. Management review has no area yet: its criterion is
registered now and always unmet, saying so, so step 6 can never pass without one.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from backend.audits.models import (
    Audit,
    AuditProgramme,
    AuditStatus,
    ChecklistLine,
    ProgrammeRequirement,
)
from backend.audits.queries import audit_day, coverage_statement
from backend.core.calendar import today_sql
from backend.db.session import TenantSession
from backend.programs.criteria import Verdict, criterion
from backend.programs.models import Program, StepKey

NAMED = 5  # how many clauses or references a reason names
NO_PROGRAMME = "No audit programme covers this program yet."


async def current_programme(db: TenantSession, program: Program) -> AuditProgramme | None:
    today = today_sql(program.tenant_id)
    current = (AuditProgramme.period_start <= today) & (AuditProgramme.period_end >= today)
    return await db.scalar(
        select(AuditProgramme)
        .where(
            exists().where(
                ProgrammeRequirement.programme_id == AuditProgramme.id,
                ProgrammeRequirement.program_id == program.id,
            )
        )
        .order_by(current.desc(), AuditProgramme.period_start.desc(), AuditProgramme.id)
        .limit(1)
    )


def _listed(count: int, named: list[str]) -> str:
    more = f" and {count - len(named)} more" if count > len(named) else ""
    return f"{', '.join(named)}{more}"


@criterion(
    StepKey.INTERNAL_AUDIT,
    "programme-covers-scope",
    "Every clause the audit programme covers is audited as often as its frequency asks.",
)
async def programme_covers_scope(db: TenantSession, program: Program) -> Verdict:
    """Coverage and frequency as `audits.queries` defines them; a clause audited but due
    again (its area has an open nonconformity) is named with "(again)"."""
    programme = await current_programme(db, program)
    if programme is None:
        return Verdict(False, NO_PROGRAMME)
    due = coverage_statement(programme.id, program.id).subquery()
    rows = (
        await db.execute(
            select(due.c.number, due.c.audited, func.count().over())
            .where(due.c.audited < due.c.due)
            .order_by(due.c.position)
            .limit(NAMED)
        )
    ).all()
    if not rows:
        return Verdict(True, "Every clause of the programme is audited as often as due.")
    count = rows[0][2]
    named = [number if audited == 0 else f"{number} (again)" for number, audited, _ in rows]
    subject = "1 clause" if count == 1 else f"{count} clauses"
    return Verdict(False, f"{subject} not yet audited: {_listed(count, named)}.")


@criterion(
    StepKey.INTERNAL_AUDIT,
    "audits-closed",
    "Every audit of the programme's period is closed or cancelled, and one at least is closed.",
)
async def audits_closed(db: TenantSession, program: Program) -> Verdict:
    """Audits of the program (a checklist line in it) whose day is in the period."""
    programme = await current_programme(db, program)
    if programme is None:
        return Verdict(False, NO_PROGRAMME)
    finished = Audit.status.in_([AuditStatus.CLOSED.value, AuditStatus.CANCELLED.value])
    open_references = func.array_agg(
        aggregate_order_by(Audit.reference, audit_day(), Audit.reference)
    )
    row = (
        await db.execute(
            select(
                func.count().filter(~finished),
                func.count().filter(Audit.status == AuditStatus.CLOSED.value),
                open_references.filter(~finished),
            ).where(
                Audit.programme_id == programme.id,
                audit_day().between(programme.period_start, programme.period_end),
                exists().where(
                    ChecklistLine.audit_id == Audit.id, ChecklistLine.program_id == program.id
                ),
            )
        )
    ).one()
    unfinished, closed, references = row
    if unfinished:
        subject = "1 audit is" if unfinished == 1 else f"{unfinished} audits are"
        listed = _listed(unfinished, list(references[:NAMED]))
        return Verdict(False, f"{subject} not closed yet: {listed}.")
    if not closed:
        return Verdict(False, "No audit of this program in the programme's period is closed yet.")
    return Verdict(True, "Every audit in the programme's period is closed or cancelled.")
