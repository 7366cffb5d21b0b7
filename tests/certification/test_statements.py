"""Lists cost the same statements for one client as for fifty: a consultant's and a
certification body's whole portfolio of upcoming audits, certification audits and
certificates with their cycles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.certification.models import (
    Certificate,
    CertificateEvent,
    CertificateProgram,
    CertificationAudit,
    CertificationAuditProgram,
)
from backend.certification.rules import add_months
from backend.programs.models import Program
from tenants.models import AuditorGrant, ConsultancyEngagement, Organization
from tests.api.helpers import count_statements
from tests.certification.helpers import months_ago
from tests.findings.helpers import TODAY
from tests.planning.helpers import Plan
from tests.support import Client, gql, login

UPCOMING = """
{ upcomingAudits(first: 200) {
  kind date rule status organization { name }
  certificate { number state current programs { id } }
  audit { kind status programs { id } certificationBody { slug } }
} }
"""
AUDITS = """
{ certificationAudits(first: 50) { totalCount edges { node {
  kind status organization { name } certificationBody { slug } programs { id }
  findings { reference }
} } } }
"""
CERTIFICATES = """
{ certificates(first: 50) { totalCount edges { node {
  number state current organization { name } programs { id } history { state by { name } }
  cycle { state suspendableBecause expectedAudits { kind dueBy rule status } }
} } } }
"""


async def add_clients(owner_engine: AsyncEngine, plan: Plan, count: int) -> None:
    """`count` clients of the world's consultancy, each granting the body access, with a
    certified program (a certificate six months old) and a surveillance booked."""
    body, now = plan.orgs["body"], datetime.now(UTC)
    async with AsyncSession(owner_engine) as db:
        for _ in range(count):
            org = Organization(
                id=uuid.uuid4(), kind="client", name="Client", slug=f"c-{uuid.uuid4().hex[:12]}"
            )
            db.add(org)
            await db.flush()
            program = Program(
                id=uuid.uuid4(),
                tenant_id=org.id,
                standard_id=plan.standards["P"],
                scope_statement="All",
                status="certified",
                certification_body_id=body,
            )
            certificate = Certificate(
                id=uuid.uuid4(),
                tenant_id=org.id,
                certification_body_id=body,
                number="C-1",
                cycle_number=1,
                scope="All",
                sites=[],
                decision_on=months_ago(6),
                issued_on=months_ago(6),
                expires_on=add_months(months_ago(6), 36),
            )
            audit = CertificationAudit(
                id=uuid.uuid4(),
                tenant_id=org.id,
                certification_body_id=body,
                kind="surveillance",
                planned_start=TODAY + timedelta(days=20),
                planned_end=TODAY + timedelta(days=21),
            )
            db.add_all(
                [
                    ConsultancyEngagement(
                        tenant_id=org.id, consultancy_id=plan.orgs["consultancy"]
                    ),
                    AuditorGrant(
                        tenant_id=org.id,
                        certification_body_id=body,
                        valid_from=now - timedelta(days=1),
                        valid_until=now + timedelta(days=30),
                    ),
                    program,
                    certificate,
                    audit,
                ]
            )
            await db.flush()
            db.add_all(
                [
                    CertificateProgram(
                        tenant_id=org.id,
                        certificate_id=certificate.id,
                        program_id=program.id,
                        position=0,
                    ),
                    CertificationAuditProgram(
                        tenant_id=org.id, audit_id=audit.id, program_id=program.id, position=0
                    ),
                    CertificateEvent(
                        tenant_id=org.id,
                        certificate_id=certificate.id,
                        state="active",
                        on=months_ago(6),
                    ),
                ]
            )
        await db.commit()


async def cost(client: Client, app: Litestar, document: str, token: str) -> tuple[int, Any]:
    await gql(client, document, token=token)  # warm up
    with count_statements(app.state.runtime.engine) as sent:
        body = await gql(client, document, token=token)
    assert "errors" not in body, body
    return len(sent), body["data"]


async def test_a_portfolio_of_fifty_clients_costs_what_one_client_costs(
    client: Client, app: Litestar, plan: Plan, owner_engine: AsyncEngine
) -> None:
    consultant, auditor = await login(client, "consultant"), await login(client, "auditor")
    costs: dict[str, list[int]] = {}
    for clients, more in ((1, 1), (50, 49)):
        await add_clients(owner_engine, plan, more)
        for who, token in (("consultant", consultant), ("body", auditor)):
            upcoming, data = await cost(client, app, UPCOMING, token)
            assert len(data["upcomingAudits"]) == 4 * clients  # 3 expected, 1 booked each
            assert data["upcomingAudits"][0]["status"] == "planned"
            audits, data = await cost(client, app, AUDITS, token)
            assert data["certificationAudits"]["totalCount"] == clients
            certificates, data = await cost(client, app, CERTIFICATES, token)
            assert data["certificates"]["totalCount"] == clients
            for name, count in (
                ("upcomingAudits", upcoming),
                ("certificationAudits", audits),
                ("certificates", certificates),
            ):
                costs.setdefault(f"{who} {name}", []).append(count)
    for name, (one, fifty) in costs.items():
        assert one == fifty, f"{name}: {one} statements for 1 client, {fifty} for 50"
    print("statements at 1 and 50 clients:", costs)
