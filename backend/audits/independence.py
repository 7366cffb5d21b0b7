"""Auditor independence: nobody audits a requirement whose work they own.

"Owning" a requirement, for this rule, is what the database already records against it in
the same program: the owner of a planning action addressing it (not cancelled), of a
controlled document serving it (not obsolete), or of an evidence item linked to it (not
deleted). Each of those is a row keyed by program and clause, so the whole audit team is
checked against the whole checklist in one statement. The audit programme says what a
conflict does: `refuse` stops the change with NOT_INDEPENDENT, `warn` makes it and lists the
conflicts in the payload.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, literal, select, union_all

from backend.audits.models import AuditProgramme, ChecklistLine, Independence
from backend.catalog.models import Clause
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.documents.models import ControlledDocument, DocumentRequirement, DocumentStatus
from backend.evidence.models import EvidenceItem, EvidenceLink
from backend.planning.models import Action, ActionRequirement, ActionStatus
from tenants.models import User

NAMED = 5  # conflicts named in one refusal


@dataclass(frozen=True)
class Conflict:
    auditor: str
    requirement: str
    owns: str  # 'action "Fix the plan"', 'document QP-04', 'evidence "Calibration log"'

    def __str__(self) -> str:
        return f"{self.auditor} audits {self.requirement} but owns its {self.owns}"


def _owned(audit_id: uuid.UUID, auditors: Sequence[uuid.UUID]) -> Select[str, str, str]:
    """(owner, program, clause, what) for every owned thing on a line of the audit."""
    actions = (
        select(
            Action.owner_id.label("owner_id"),
            Action.program_id.label("program_id"),
            ActionRequirement.clause_id.label("clause_id"),
            (literal('action "') + Action.title + literal('"')).label("what"),
        )
        .join(ActionRequirement, ActionRequirement.action_id == Action.id)
        .where(Action.owner_id.in_(auditors), Action.status != ActionStatus.CANCELLED.value)
    )
    documents = (
        select(
            ControlledDocument.owner_id,
            DocumentRequirement.program_id,
            DocumentRequirement.clause_id,
            literal("document ") + ControlledDocument.code,
        )
        .join(DocumentRequirement, DocumentRequirement.document_id == ControlledDocument.id)
        .where(
            ControlledDocument.owner_id.in_(auditors),
            ControlledDocument.status != DocumentStatus.OBSOLETE.value,
        )
    )
    evidence = (
        select(
            EvidenceItem.owner_id,
            EvidenceLink.program_id,
            EvidenceLink.clause_id,
            literal('evidence "') + EvidenceItem.title + literal('"'),
        )
        .join(EvidenceLink, EvidenceLink.evidence_id == EvidenceItem.id)
        .where(
            EvidenceItem.owner_id.in_(auditors),
            EvidenceItem.deleted_at.is_(None),
            EvidenceLink.clause_id.is_not(None),
        )
    )
    owned = union_all(actions, documents, evidence).subquery("owned")
    return (
        select(User.name, Clause.number, owned.c.what)
        .select_from(owned)
        .join(
            ChecklistLine,
            (ChecklistLine.program_id == owned.c.program_id)
            & (ChecklistLine.clause_id == owned.c.clause_id),
        )
        .join(Clause, Clause.id == ChecklistLine.clause_id)
        .join(User, User.id == owned.c.owner_id)
        .where(ChecklistLine.audit_id == audit_id)
        .order_by(ChecklistLine.position, User.name, owned.c.what)
    )


async def check(
    db: TenantSession,
    programme: AuditProgramme,
    audit_id: uuid.UUID,
    auditors: Sequence[uuid.UUID],
) -> list[str]:
    """The conflicts of the audit's team with its checklist, as warnings; under `refuse`, a
    NOT_INDEPENDENT error naming the first few instead."""
    if not auditors:
        return []
    rows = await db.execute(_owned(audit_id, auditors))
    conflicts = [str(Conflict(name, number, what)) for name, number, what in rows]
    if conflicts and programme.independence == Independence.REFUSE.value:
        more = f" and {len(conflicts) - NAMED} more" if len(conflicts) > NAMED else ""
        raise ServiceError(
            ErrorCode.NOT_INDEPENDENT,
            "An auditor may not audit work they own: "
            f"{'; '.join(conflicts[:NAMED])}{more}. Change the team or the scope.",
            ["team"],
        )
    return conflicts
