"""A seed for the findings tests: two throw-away standards that share harmonized clauses.

Standard P divides harmonized clause 7.5 into 7.5.1 and 7.5.2 (which carry no key of their
own, like ISO 9001's sub-clauses); standard Q assesses 7.5 itself. Tenant A runs a program on
each, tenant B one on P. A's gap analysis of P has every judgement a finding can meet.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.assessments.models import Assessment
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.evidence.models import EvidenceItem, EvidenceVersion
from backend.findings import service
from backend.findings.models import Finding
from backend.findings.service import FindingFields, RequirementTarget
from backend.programs.models import Program, ProgramStep, StepKey
from tenants.roles import Role
from tests.planning.helpers import Plan, _add_member
from tests.support import World

# number: (hs_key, assessable, documented information)
P_CLAUSES = {
    "7": ("7", False, False),
    "7.5": ("7.5", False, False),
    "7.5.1": (None, True, True),
    "7.5.2": (None, True, False),
    "8.5.1": ("8.5.1", True, False),
    "9.2": ("9.2", True, True),
    "10.2": ("10.2", True, False),
}
Q_CLAUSES = {"7.5": ("7.5", True, True), "9.2": ("9.2", True, False)}
# A's gap analysis of P (program "a"); Q's program ("a_q") judges 7.5 conformant.
A_JUDGEMENTS = {
    "7.5.1": "conformant",
    "7.5.2": "partial",
    "8.5.1": "conformant",
    "9.2": "not_assessed",
    "10.2": "not_applicable",
}
PROGRAMS = {"a": ("a", "P"), "a_q": ("a", "Q"), "b": ("b", "P")}  # key: (tenant, standard)
EXTRA_MEMBERS = {"a_manager": Role.MANAGER, "a_contributor": Role.CONTRIBUTOR}


def _standard(name: str, clauses: Mapping[str, tuple[str | None, bool, bool]]) -> Standard:
    standard = Standard(
        id=uuid.uuid4(),
        code=f"TEST-{name}-{uuid.uuid4().hex[:8]}",
        edition="1",
        title=f"Findings test standard {name}",
        purpose="A throw-away standard for the findings tests.",
        components=[],
        source_digest="0" * 64,
    )
    standard.clauses = [
        Clause(
            id=uuid.uuid4(),
            number=number,
            title=f"Requirement {number}",
            kind=ClauseKind.CLAUSE.value,
            hs_key=hs_key,
            assessable=assessable,
            documented_information=documented,
            position=position,
        )
        for position, (number, (hs_key, assessable, documented)) in enumerate(clauses.items())
    ]
    return standard


async def seed_findings(owner_engine: AsyncEngine, world: World) -> Plan:
    plan = Plan(
        orgs={name: org.id for name, org in world.orgs.items()},
        users={name: user.id for name, user in world.users.items()},
    )
    standards = {"P": _standard("P", P_CLAUSES), "Q": _standard("Q", Q_CLAUSES)}
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        for name, standard in standards.items():
            plan.standards[name] = standard.id
            plan.clauses.update({(name, c.number): c.id for c in standard.clauses})
        db.add_all(standards.values())
        await db.flush()
        programs = [
            Program(
                id=uuid.uuid4(),
                tenant_id=plan.orgs[org],
                standard_id=plan.standards[standard],
                scope_statement=f"Everything program {key} covers",
            )
            for key, (org, standard) in PROGRAMS.items()
        ]
        plan.programs = {key: p.id for key, p in zip(PROGRAMS, programs, strict=True)}
        db.add_all(programs)
        await db.flush()
        db.add_all(
            ProgramStep(tenant_id=program.tenant_id, program_id=program.id, number=n, key=key)
            for program in programs
            for n, key in enumerate(StepKey, start=1)
        )
        db.add_all(_assessments(plan))
        for name, role in EXTRA_MEMBERS.items():
            plan.users[name] = await _add_member(db, plan.orgs["a"], name, role)
        await db.commit()
    return plan


def _assessments(plan: Plan) -> list[Assessment]:
    judged = [("a", "P", number, status) for number, status in A_JUDGEMENTS.items()]
    judged += [("a_q", "Q", "7.5", "conformant"), ("a_q", "Q", "9.2", "conformant")]
    judged += [("b", "P", number, "conformant") for number in A_JUDGEMENTS]
    return [
        Assessment(
            tenant_id=plan.orgs[PROGRAMS[program][0]],
            program_id=plan.programs[program],
            clause_id=plan.clauses[(standard, number)],
            status=status,
            justification="Outside the scope." if status == "not_applicable" else "",
            gap_description="Records are incomplete." if status == "partial" else "",
        )
        for program, standard, number, status in judged
    ]


def on(plan: Plan, program: str, *numbers: str) -> list[RequirementTarget]:
    return [RequirementTarget(plan.programs[program], number) for number in numbers]


def nonconformity(plan: Plan, *numbers: str, major: bool = False, **values: Any) -> FindingFields:
    """A nonconformity on requirements of A's P program (or `requirements` given)."""
    fields: dict[str, Any] = {
        "type": "major_nonconformity" if major else "minor_nonconformity",
        "statement": "Calibration records are missing for two gauges.",
        "objective_evidence": "Gauges G-12 and G-17 had no record for 2026.",
        "requirements": on(plan, "a", *(numbers or ("7.5.1",))),
    }
    return FindingFields(**(fields | values))


async def raise_nc(
    db: TenantSession, actor: Actor, plan: Plan, *numbers: str, **values: Any
) -> Finding:
    return await service.raise_finding(
        db, actor, "internal_audit", nonconformity(plan, *numbers, **values)
    )


async def assessment_status(db: TenantSession, plan: Plan, program: str, number: str) -> str:
    standard = "Q" if program == "a_q" else "P"
    status = await db.scalar(
        select(Assessment.status).where(
            Assessment.program_id == plan.programs[program],
            Assessment.clause_id == plan.clauses[(standard, number)],
        )
    )
    assert status is not None
    return status


async def add_evidence(owner_engine: AsyncEngine, tenant_id: uuid.UUID, title: str) -> uuid.UUID:
    """A live evidence item of `tenant_id` with an available version confirmed now."""
    item = EvidenceItem(id=uuid.uuid4(), tenant_id=tenant_id, title=title, kind="record")
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        db.add(item)
        await db.flush()
        db.add(
            EvidenceVersion(
                tenant_id=tenant_id,
                evidence_id=item.id,
                storage_key=f"tenants/{tenant_id}/evidence/{item.id}/{uuid.uuid4()}",
                filename="record.pdf",
                content_type="application/pdf",
                size_bytes=1,
                sha256="0" * 64,
                status="available",
                upload_expires_at=datetime.now(UTC),
                confirmed_at=datetime.now(UTC),
            )
        )
        await db.commit()
    return item.id


TODAY = datetime.now(UTC).date()


def days_ago(days: int) -> date:
    return date.fromordinal(TODAY.toordinal() - days)
