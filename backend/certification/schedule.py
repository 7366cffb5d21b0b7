"""The audits each live certificate expects, written down and kept current.

A certificate's cycle (`rules.cycle`) gives its surveillances and its recertification with
their windows; which are held, due or overdue changes with the audits recorded and with the
calendar. `refresh` writes them to `certification_expected_audits` for one tenant: rows of
certificates that are no longer live (withdrawn, expired, renewed) go, the others are
inserted or updated in place under a stable id, so a reminder about an expected audit stays
the same reminder while its date moves. The job runs after every change to the tables a
cycle is computed from, and nightly for the calendar's sake.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, true
from sqlalchemy.dialects.postgresql import insert

from backend.certification import models
from backend.certification.models import Certificate, CertificateState, ExpectedAudit
from backend.certification.queries import cycle_facts
from backend.db.session import TenantSession
from backend.jobs.definitions import Job, Periodic
from backend.jobs.triggers import Trigger

LIVE = (CertificateState.ACTIVE.value, CertificateState.SUSPENDED.value)
_IDS = uuid.UUID("6f0c1e9e-5b7a-4d0e-9a43-2d1b9c7e8f10")  # namespace of the stable ids


def expected_id(certificate_id: uuid.UUID, kind: str, number: int) -> uuid.UUID:
    return uuid.uuid5(_IDS, f"{certificate_id}:{kind}:{number}")


async def refresh(db: TenantSession) -> int:
    """Rewrite the scope's expected audits from its live certificates; how many there are."""
    certificates = list(await db.scalars(select(Certificate).where(Certificate.state.in_(LIVE))))
    rows: list[dict[str, Any]] = []
    for facts in await cycle_facts(db, certificates):
        if facts.renewed:
            continue
        certificate = facts.certificate
        for expected in facts.cycle().expected:
            rows.append(
                {
                    "id": expected_id(certificate.id, expected.kind.value, expected.number),
                    "tenant_id": certificate.tenant_id,
                    "certificate_id": certificate.id,
                    "kind": expected.kind.value,
                    "number": expected.number,
                    "opens_on": expected.opens,
                    "due_on": expected.due.day,
                    "rule": expected.due.rule,
                    "status": expected.status.value,
                    "held_on": expected.held_on,
                }
            )
    keep = [row["id"] for row in rows]
    await db.execute(delete(ExpectedAudit).where(ExpectedAudit.id.not_in(keep) if keep else true()))
    if rows:
        upsert = insert(ExpectedAudit).values(rows)
        changed = {key: upsert.excluded[key] for key in rows[0] if key not in {"id", "tenant_id"}}
        await db.execute(
            upsert.on_conflict_do_update(
                index_elements=[ExpectedAudit.id], set_={**changed, "refreshed_at": func.now()}
            )
        )
    return len(rows)


async def _refresh(db: TenantSession, _payload: dict[str, Any]) -> None:
    await refresh(db)


SCHEDULE = Job("certification.schedule", _refresh, time_limit_seconds=300)
NIGHTLY = Periodic("certification.nightly", SCHEDULE.name, "15 1 * * *")
ON_CYCLE = Trigger(
    SCHEDULE.name,
    frozenset(
        model.__tablename__
        for model in (
            models.Certificate,
            models.CertificateProgram,
            models.CertificationAudit,
            models.CertificationAuditProgram,
            models.BodyRules,
        )
    ),
)
