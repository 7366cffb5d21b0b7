"""The audit programme and its audits: planning, fieldwork, reporting, signing, cancelling.

Every change is one transaction in the acting tenant. Owners, admins, consultants and
managers keep the programme and plan audits (`RUN_AUDITS`); contributors may also record
checklist results (`CONDUCT_AUDITS`); viewers and auditors of certification bodies only
read. An audit moves as `lifecycle` allows, and once the lead auditor signs it (or it is
cancelled) it is locked: every further change is refused with LOCKED. Changing who audits
or what is audited checks auditor independence (`independence`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import delete, func, insert, select

from backend.audits import independence, scope
from backend.audits.lifecycle import Step, advance
from backend.audits.models import (
    Audit,
    AuditFinding,
    AuditProgramme,
    AuditStatus,
    AuditTeamMember,
    ChecklistLine,
    ChecklistReference,
    ChecklistResult,
    Independence,
    ProgrammeRequirement,
)
from backend.audits.scope import ScopePart
from backend.core.access import (
    Actor,
    Permission,
    conflict_on,
    for_change,
    readable,
    require,
    require_acting_in,
)
from backend.core.calendar import today_sql
from backend.core.changes import KEEP, Change
from backend.core.errors import ServiceError, conflict, forbidden, invalid, not_found
from backend.core.validation import TEXT_LIMIT, TITLE_LIMIT, choice, require_given, text_field
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument
from backend.evidence.models import EvidenceVersion
from backend.findings.models import Finding
from backend.programs.service import owner_member

REFERENCE_LIMIT = 40
MAX_TEAM = 20  # people on one audit team besides the lead
MAX_LIST = 50  # processes, sites or auditee contacts of one audit
MAX_CHECKLIST = 400  # lines of one audit: four whole standards fit
MAX_COVERED = 1_000  # requirements one programme covers
MAX_REFERENCES = 10  # evidence versions and documents on one checklist line
MAX_LINE_FINDINGS = 5  # findings raised from one checklist line
MAX_AUDIT_FINDINGS = 100  # findings raised in one audit; more is a sign to split it


@dataclass(frozen=True)
class ProgrammeFields:
    """A programme's editable fields; KEEP leaves the stored value."""

    title: Change[str] = KEEP
    period_start: Change[date] = KEEP
    period_end: Change[date] = KEEP
    objectives: Change[str] = KEEP
    audits_per_period: Change[int] = KEEP
    independence: Change[str] = KEEP
    scope: Change[Sequence[ScopePart]] = KEEP  # replaces the requirements to cover


@dataclass(frozen=True)
class TeamMember:
    """A member of the organization (`user_id`) or a named outsider (`name`)."""

    user_id: uuid.UUID | None = None
    name: str = ""


@dataclass(frozen=True)
class AuditFields:
    """An audit's editable fields; KEEP leaves the stored value, None clears an optional one."""

    title: Change[str] = KEEP
    criteria: Change[str] = KEEP
    objectives: Change[str] = KEEP
    processes: Change[Sequence[str]] = KEEP
    sites: Change[Sequence[str]] = KEEP
    auditee_contacts: Change[Sequence[str]] = KEEP
    planned_start: Change[date] = KEEP
    planned_end: Change[date] = KEEP
    actual_start: Change[date | None] = KEEP
    actual_end: Change[date | None] = KEEP
    lead_auditor_id: Change[uuid.UUID] = KEEP
    team: Change[Sequence[TeamMember]] = KEEP  # replaces the team
    scope: Change[Sequence[ScopePart]] = KEEP  # replaces the checklist's requirements; planned


@dataclass(frozen=True)
class LineFields:
    """What the auditors found on one checklist line; KEEP leaves the stored value."""

    result: Change[str] = KEEP
    notes: Change[str] = KEEP
    sampled_records: Change[str] = KEEP
    evidence_version_ids: Change[Sequence[uuid.UUID]] = KEEP  # replaces the set
    document_ids: Change[Sequence[uuid.UUID]] = KEEP  # replaces the set
    finding_ids: Change[Sequence[uuid.UUID]] = KEEP  # replaces the findings raised here


@dataclass(frozen=True)
class Planned:
    """An audit as changed, with the independence conflicts let through under `warn`."""

    audit: Audit
    warnings: list[str]


# --- the programme ---------------------------------------------------------------------------


async def create_programme(
    db: TenantSession, actor: Actor, values: ProgrammeFields
) -> AuditProgramme:
    """An audit programme of the acting tenant over one or more of its programs."""
    require_given(values, "title", "period_start", "period_end", "scope")
    require_acting_in(db, actor, actor.tenant_id, "Organization")
    require(actor, Permission.RUN_AUDITS)
    programme = AuditProgramme(
        tenant_id=actor.tenant_id,
        objectives="",
        audits_per_period=1,
        independence=Independence.REFUSE.value,
    )
    _write_programme(programme, values)
    db.add(programme)
    await db.flush()
    await _cover(db, actor, programme, values.scope)
    return await _save(db, programme)


async def update_programme(
    db: TenantSession, actor: Actor, programme_id: uuid.UUID, values: ProgrammeFields
) -> AuditProgramme:
    programme = await for_change(
        db,
        actor,
        AuditProgramme,
        programme_id,
        permission=Permission.RUN_AUDITS,
        what="Audit programme",
    )
    _write_programme(programme, values)
    await _cover(db, actor, programme, values.scope)
    return await _save(db, programme)


def _write_programme(programme: AuditProgramme, values: ProgrammeFields) -> None:
    if values.title is not KEEP:
        programme.title = text_field(values.title, "title")
    if values.objectives is not KEEP:
        programme.objectives = text_field(values.objectives, "objectives", TEXT_LIMIT, blank=True)
    if values.period_start is not KEEP:
        programme.period_start = values.period_start
    if values.period_end is not KEEP:
        programme.period_end = values.period_end
    if programme.period_end < programme.period_start:
        raise invalid("The period cannot end before it starts.", ["periodEnd"])
    if values.audits_per_period is not KEEP:
        if not 1 <= values.audits_per_period <= 12:
            raise invalid("Audit each clause 1 to 12 times per period.", ["auditsPerPeriod"])
        programme.audits_per_period = values.audits_per_period
    if values.independence is not KEEP:
        programme.independence = choice(Independence, values.independence, "independence").value


async def _cover(
    db: TenantSession, actor: Actor, programme: AuditProgramme, parts: Change[Sequence[ScopePart]]
) -> None:
    if parts is KEEP:
        return
    found = await scope.resolve(db, actor, parts, "scope")
    if len(found) > MAX_COVERED:
        raise invalid(f"A programme covers at most {MAX_COVERED} requirements.", ["scope"])
    await db.execute(
        delete(ProgrammeRequirement).where(ProgrammeRequirement.programme_id == programme.id)
    )
    await db.execute(
        insert(ProgrammeRequirement),
        [
            {
                "id": uuid.uuid4(),
                "tenant_id": programme.tenant_id,
                "programme_id": programme.id,
                "program_id": requirement.program_id,
                "clause_id": requirement.clause.id,
            }
            for requirement in found
        ],
    )


async def programs_of(db: TenantSession, programme_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await db.scalars(
        select(ProgrammeRequirement.program_id)
        .where(ProgrammeRequirement.programme_id == programme_id)
        .distinct()
    )
    return set(rows)


# --- planning and editing audits ---------------------------------------------------------------


async def plan_audit(
    db: TenantSession, actor: Actor, programme_id: uuid.UUID, reference: str, values: AuditFields
) -> Planned:
    """An audit of the programme, with its checklist generated from its scope."""
    require_given(values, "title", "planned_start", "planned_end", "lead_auditor_id", "scope")
    programme = await for_change(
        db,
        actor,
        AuditProgramme,
        programme_id,
        permission=Permission.RUN_AUDITS,
        what="Audit programme",
        field="programmeId",
    )
    audit = Audit(
        tenant_id=programme.tenant_id,
        programme_id=programme.id,
        reference=text_field(reference, "reference", REFERENCE_LIMIT),
        status=AuditStatus.PLANNED.value,
        criteria="",
        objectives="",
        processes=[],
        sites=[],
        auditee_contacts=[],
        conclusion="",
        cancellation_reason="",
    )
    await _write_audit(db, audit, programme, values)
    taken = conflict(f"{audit.reference} names another audit already.", ["reference"])
    async with conflict_on(db, "uq_audits_reference", taken):
        db.add(audit)
        await db.flush()
    return await _finish_change(db, actor, audit, programme, values)


async def update_audit(
    db: TenantSession, actor: Actor, audit_id: uuid.UUID, values: AuditFields
) -> Planned:
    """Edit an audit that is not locked; its scope only while it is still planned."""
    audit = await _audit_for_change(db, actor, audit_id, Permission.RUN_AUDITS)
    advance(audit, Step.EDIT)
    if values.scope is not KEEP and audit.status != AuditStatus.PLANNED.value:
        raise invalid(f"{audit.reference} has started: its scope can no longer change.", ["scope"])
    programme = await _programme_of(db, audit)
    await _write_audit(db, audit, programme, values)
    return await _finish_change(db, actor, audit, programme, values)


async def _finish_change(
    db: TenantSession, actor: Actor, audit: Audit, programme: AuditProgramme, values: AuditFields
) -> Planned:
    await _replace_team(db, audit, values.team)
    await _replace_checklist(db, actor, audit, programme, values.scope)
    warnings = await _independence(db, audit, programme)
    return Planned(await _save(db, audit), warnings)


async def _audit_for_change(
    db: TenantSession, actor: Actor, audit_id: uuid.UUID, permission: Permission
) -> Audit:
    return await for_change(db, actor, Audit, audit_id, permission=permission, what="Audit")


async def _programme_of(db: TenantSession, audit: Audit) -> AuditProgramme:
    # An audit belongs to its programme for as long as it exists (deleting one deletes both).
    found = await db.execute(select(AuditProgramme).where(AuditProgramme.id == audit.programme_id))
    return found.scalar_one()


async def _write_audit(
    db: TenantSession, audit: Audit, programme: AuditProgramme, values: AuditFields
) -> None:
    for name in ("title", "criteria", "objectives"):
        value = getattr(values, name)
        if value is not KEEP:
            limit = TITLE_LIMIT if name == "title" else TEXT_LIMIT
            setattr(audit, name, text_field(value, name, limit, blank=name != "title"))
    for name, field in (
        ("processes", "processes"),
        ("sites", "sites"),
        ("auditee_contacts", "auditeeContacts"),
    ):
        value = getattr(values, name)
        if value is not KEEP:
            setattr(audit, name, _text_list(value, field))
    _write_dates(audit, programme, values)
    if values.lead_auditor_id is not KEEP:
        audit.lead_auditor_id = await _member(
            db, audit, values.lead_auditor_id, ["leadAuditorId"], "The lead auditor"
        )


def _write_dates(audit: Audit, programme: AuditProgramme, values: AuditFields) -> None:
    for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
        value = getattr(values, name)
        if value is not KEEP:
            setattr(audit, name, value)
    if audit.planned_end < audit.planned_start:
        raise invalid("The audit cannot end before it starts.", ["plannedEnd"])
    if not programme.period_start <= audit.planned_start <= programme.period_end:
        raise invalid(
            f"Plan the audit within the programme's period ({programme.period_start} to"
            f" {programme.period_end}).",
            ["plannedStart"],
        )
    if audit.actual_start and audit.actual_end and audit.actual_end < audit.actual_start:
        raise invalid("The audit cannot end before it starts.", ["actualEnd"])


async def _member(
    db: TenantSession, audit: Audit, user_id: uuid.UUID, field: list[str], who: str
) -> uuid.UUID:
    """`user_id`, a member of the audit's organization; the refusal says who must be one."""
    try:
        await owner_member(db, audit.tenant_id, user_id, field[0])
    except ServiceError as error:
        raise invalid(f"{who} must be a member of the organization.", field) from error
    return user_id


def _text_list(values: Sequence[str], field: str) -> list[str]:
    if len(values) > MAX_LIST:
        raise invalid(f"Name at most {MAX_LIST}.", [field])
    cleaned = [text_field(value, field) for value in values]
    return list(dict.fromkeys(cleaned))


async def _replace_team(
    db: TenantSession, audit: Audit, team: Change[Sequence[TeamMember]]
) -> None:
    if team is KEEP:
        return
    if len(team) > MAX_TEAM:
        raise invalid(f"An audit team has at most {MAX_TEAM} people besides the lead.", ["team"])
    rows = []
    for position, member in enumerate(team):
        rows.append(await _team_row(db, audit, position, member))
    await db.execute(delete(AuditTeamMember).where(AuditTeamMember.audit_id == audit.id))
    db.add_all(rows)
    await db.flush()


async def _team_row(
    db: TenantSession, audit: Audit, position: int, member: TeamMember
) -> AuditTeamMember:
    field = ["team", str(position)]
    name = member.name.strip()
    if (member.user_id is None) == (not name):
        raise invalid("Name a member of the organization or an outside person, not both.", field)
    if len(name) > TITLE_LIMIT:
        raise invalid(f"A name has at most {TITLE_LIMIT} characters.", field)
    user_id = (
        await _member(db, audit, member.user_id, field, "A team member named by id")
        if member.user_id
        else None
    )
    return AuditTeamMember(
        tenant_id=audit.tenant_id,
        audit_id=audit.id,
        user_id=user_id,
        external_name="" if user_id else name,
        position=position,
    )


async def _replace_checklist(
    db: TenantSession,
    actor: Actor,
    audit: Audit,
    programme: AuditProgramme,
    parts: Change[Sequence[ScopePart]],
) -> None:
    """The checklist of the new scope: lines of requirements still in scope keep what was
    written on them, new ones get their question, the others go."""
    if parts is KEEP:
        return
    covered = await programs_of(db, programme.id)
    for index, part in enumerate(parts):
        if part.program_id not in covered:
            raise invalid("The programme does not cover this program.", ["scope", str(index)])
    wanted = await scope.resolve(db, actor, parts, "scope")
    if len(wanted) > MAX_CHECKLIST:
        raise invalid(f"An audit covers at most {MAX_CHECKLIST} requirements; split it.", ["scope"])
    existing = {
        (line.program_id, line.clause_id): line
        for line in await db.scalars(
            select(ChecklistLine).where(ChecklistLine.audit_id == audit.id)
        )
    }
    keys = {(item.program_id, item.clause.id) for item in wanted}
    for key, dropped in existing.items():
        if key not in keys:
            await db.delete(dropped)
    for position, item in enumerate(wanted):
        line = existing.get((item.program_id, item.clause.id))
        if line is None:
            line = ChecklistLine(
                tenant_id=audit.tenant_id,
                audit_id=audit.id,
                program_id=item.program_id,
                clause_id=item.clause.id,
                question=scope.question(item.clause),
                notes="",
                sampled_records="",
            )
            db.add(line)
        line.position = position
    await db.flush()


async def _independence(db: TenantSession, audit: Audit, programme: AuditProgramme) -> list[str]:
    team = await db.scalars(
        select(AuditTeamMember.user_id).where(
            AuditTeamMember.audit_id == audit.id, AuditTeamMember.user_id.is_not(None)
        )
    )
    auditors = [user for user in (audit.lead_auditor_id, *team) if user is not None]
    return await independence.check(db, programme, audit.id, list(dict.fromkeys(auditors)))


# --- the audit's course ----------------------------------------------------------------------


async def start_audit(
    db: TenantSession, actor: Actor, audit_id: uuid.UUID, started_on: date | None = None
) -> Planned:
    """Fieldwork begins. Independence is checked again: ownership may have moved since the
    audit was planned."""
    audit = await _audit_for_change(db, actor, audit_id, Permission.RUN_AUDITS)
    status = advance(audit, Step.START)
    audit.actual_start = started_on or await _today(db, audit)
    audit.status = status.value
    warnings = await _independence(db, audit, await _programme_of(db, audit))
    return Planned(await _save(db, audit), warnings)


async def finish_fieldwork(
    db: TenantSession, actor: Actor, audit_id: uuid.UUID, ended_on: date | None = None
) -> Audit:
    """Fieldwork is done once every checklist line has a result (not sampled counts)."""
    audit = await _audit_for_change(db, actor, audit_id, Permission.CONDUCT_AUDITS)
    status = advance(audit, Step.REPORT)
    open_lines = list(
        await db.scalars(
            select(ChecklistLine.id)
            .where(ChecklistLine.audit_id == audit.id, ChecklistLine.result.is_(None))
            .limit(1)
        )
    )
    if open_lines:
        raise invalid(
            f"{audit.reference} has checklist lines without a result: record each one"
            " (not sampled, when it was not looked at).",
            ["id"],
        )
    audit.actual_end = ended_on or await _today(db, audit)
    if audit.actual_start and audit.actual_end < audit.actual_start:
        raise invalid("The audit cannot end before it started.", ["endedOn"])
    audit.status = status.value
    return await _save(db, audit)


async def sign_audit(
    db: TenantSession, actor: Actor, audit_id: uuid.UUID, conclusion: str
) -> Audit:
    """The lead auditor's conclusion closes the audit and locks it."""
    audit = await _audit_for_change(db, actor, audit_id, Permission.CONDUCT_AUDITS)
    status = advance(audit, Step.SIGN)
    if actor.user_id != audit.lead_auditor_id:
        raise forbidden(f"Only the lead auditor of {audit.reference} may sign it.")
    audit.conclusion = text_field(conclusion, "conclusion", TEXT_LIMIT)
    audit.status = status.value
    audit.signed_at = datetime.now(UTC)
    audit.signed_by_id = actor.user_id
    return await _save(db, audit)


async def cancel_audit(db: TenantSession, actor: Actor, audit_id: uuid.UUID, reason: str) -> Audit:
    audit = await _audit_for_change(db, actor, audit_id, Permission.RUN_AUDITS)
    status = advance(audit, Step.CANCEL)
    audit.cancellation_reason = text_field(reason, "reason", TEXT_LIMIT)
    audit.status = status.value
    return await _save(db, audit)


# --- checklist results ---------------------------------------------------------------------


async def record_checklist_result(
    db: TenantSession, actor: Actor, line_id: uuid.UUID, values: LineFields
) -> ChecklistLine:
    """What was found on one line, while the audit is in fieldwork or being reported."""
    line = await readable(db, ChecklistLine, line_id, "Checklist line", "lineId")
    audit = await _audit_for_change(db, actor, line.audit_id, Permission.CONDUCT_AUDITS)
    advance(audit, Step.RECORD)
    line = await for_change(
        db,
        actor,
        ChecklistLine,
        line_id,
        permission=Permission.CONDUCT_AUDITS,
        what="Checklist line",
        field="lineId",
    )
    if values.result is not KEEP:
        line.result = choice(ChecklistResult, values.result, "result").value
    if values.notes is not KEEP:
        line.notes = text_field(values.notes, "notes", TEXT_LIMIT, blank=True)
    if values.sampled_records is not KEEP:
        line.sampled_records = text_field(
            values.sampled_records, "sampledRecords", TEXT_LIMIT, blank=True
        )
    await _replace_references(db, line, values)
    await _replace_findings(db, audit, line, values.finding_ids)
    db.add(line)
    await db.commit()
    await db.refresh(line)
    return line


async def _replace_references(db: TenantSession, line: ChecklistLine, values: LineFields) -> None:
    if values.evidence_version_ids is KEEP and values.document_ids is KEEP:
        return
    current = list(
        await db.execute(
            select(ChecklistReference.evidence_version_id, ChecklistReference.document_id).where(
                ChecklistReference.line_id == line.id
            )
        )
    )
    versions = (
        [v for v, _ in current if v]
        if values.evidence_version_ids is KEEP
        else await _existing(
            db,
            EvidenceVersion,
            line.tenant_id,
            values.evidence_version_ids,
            field="evidenceVersionIds",
            what="Evidence version",
        )
    )
    documents = (
        [d for _, d in current if d]
        if values.document_ids is KEEP
        else await _existing(
            db,
            ControlledDocument,
            line.tenant_id,
            values.document_ids,
            field="documentIds",
            what="Document",
        )
    )
    if len(versions) + len(documents) > MAX_REFERENCES:
        raise invalid(
            f"Link at most {MAX_REFERENCES} evidence versions and documents.",
            ["evidenceVersionIds"],
        )
    await db.execute(delete(ChecklistReference).where(ChecklistReference.line_id == line.id))
    db.add_all(
        [
            *(
                ChecklistReference(tenant_id=line.tenant_id, line_id=line.id, evidence_version_id=v)
                for v in versions
            ),
            *(
                ChecklistReference(tenant_id=line.tenant_id, line_id=line.id, document_id=d)
                for d in documents
            ),
        ]
    )


Linkable = type[EvidenceVersion] | type[ControlledDocument] | type[Finding]


async def _existing(
    db: TenantSession,
    model: Linkable,
    tenant_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    *,
    field: str,
    what: str,
) -> list[uuid.UUID]:
    """The ids, each once, every one a row of the line's tenant; others are not found."""
    wanted = list(dict.fromkeys(ids))
    found = set(
        await db.scalars(select(model.id).where(model.id.in_(wanted), model.tenant_id == tenant_id))
    )
    for index, row_id in enumerate(ids):
        if row_id not in found:
            raise not_found(what, [field, str(index)])
    return wanted


async def _replace_findings(
    db: TenantSession, audit: Audit, line: ChecklistLine, finding_ids: Change[Sequence[uuid.UUID]]
) -> None:
    """Findings raised from this line (raised first with `raiseFinding`, source internal
    audit); a finding comes from one audit only."""
    if finding_ids is KEEP:
        return
    if len(finding_ids) > MAX_LINE_FINDINGS:
        raise invalid(f"Link at most {MAX_LINE_FINDINGS} findings to one line.", ["findingIds"])
    wanted = await _existing(
        db, Finding, line.tenant_id, finding_ids, field="findingIds", what="Finding"
    )
    await db.execute(delete(AuditFinding).where(AuditFinding.line_id == line.id))
    taken = conflict("A finding named was raised in another audit or line.", ["findingIds"])
    async with conflict_on(db, "uq_audit_findings_finding", taken):
        db.add_all(
            AuditFinding(
                tenant_id=line.tenant_id, audit_id=audit.id, line_id=line.id, finding_id=finding_id
            )
            for finding_id in wanted
        )
        await db.flush()
    raised = await db.scalar(select(func.count()).where(AuditFinding.audit_id == audit.id))
    if (raised or 0) > MAX_AUDIT_FINDINGS:
        raise invalid(
            f"{audit.reference} has {MAX_AUDIT_FINDINGS} findings already.", ["findingIds"]
        )


# --- shared ----------------------------------------------------------------------------------


async def _today(db: TenantSession, audit: Audit) -> date:
    today: date = (await db.execute(select(today_sql(audit.tenant_id)))).scalar_one()
    return today


Saved = TypeVar("Saved", AuditProgramme, Audit)


async def _save(db: TenantSession, row: Saved) -> Saved:
    db.add(row)
    await db.commit()
    await db.refresh(row)
    return row
