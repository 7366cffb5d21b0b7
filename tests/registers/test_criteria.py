"""The planning step's register criteria, one per standard, judged from the registers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.programs.models import Program
from backend.registers import criteria, service
from backend.registers.models import EntryKind
from backend.registers.service import EntryFields
from tests.planning.helpers import Plan
from tests.registers.helpers import CONTROLS, iso_program
from tests.support import judge


async def _program(db: TenantSession, plan: Plan, key: str) -> Program:
    return await db.get_one(Program, plan.programs[key])


async def _add(
    db: TenantSession, owner: Actor, plan: Plan, kind: EntryKind, key: str, **values: Any
) -> uuid.UUID:
    entry = await service.create_entry(
        db, owner, kind, plan.programs[key], EntryFields(title=f"A {kind.value}", **values)
    )
    return entry.id


async def test_other_standards_are_not_asked(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = await _program(session, plan, "a")
    for check in (
        criteria.risks_assessed,
        criteria.aspects_determined,
        criteria.hazards_assessed,
        criteria.risks_treated,
    ):
        verdict = await judge(check, session, program)
        assert verdict.met
        assert verdict.reason.startswith("Not asked of TEST-P-")


async def test_iso_9001_needs_its_risks_and_opportunities_assessed(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "9001")
    program = await _program(session, plan, "a_9001")
    empty = await judge(criteria.risks_assessed, session, program)
    assert (empty.met, empty.reason) == (
        False,
        "The risk register lists no risks or opportunities yet.",
    )
    risk = await _add(session, owner_a, plan, EntryKind.RISK, "a_9001", nature="risk")
    unscored = await judge(criteria.risks_assessed, session, program)
    assert unscored.reason == "1 risk or opportunity not yet assessed (likelihood and impact)."
    await service.update_entry(
        session, owner_a, EntryKind.RISK, risk, EntryFields(likelihood=2, impact=2)
    )
    met = await judge(criteria.risks_assessed, session, program)
    assert (met.met, met.reason) == (True, "1 risk or opportunity listed and assessed.")
    await service.archive_entry(session, owner_a, risk)
    assert not (await judge(criteria.risks_assessed, session, program)).met


async def test_iso_14001_needs_scored_aspects_and_listed_obligations(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "14001")
    program = await _program(session, plan, "a_14001")
    await _add(
        session,
        owner_a,
        plan,
        EntryKind.ASPECT,
        "a_14001",
        activity="Paint",
        condition="normal",
        likelihood=3,
        impact=3,
    )
    no_law = await judge(criteria.aspects_determined, session, program)
    assert (no_law.met, no_law.reason) == (
        False,
        "The legal register lists no compliance obligation yet.",
    )
    await _add(
        session,
        owner_a,
        plan,
        EntryKind.OBLIGATION,
        "a_14001",
        source="Permit",
        evaluation_months=12,
    )
    met = await judge(criteria.aspects_determined, session, program)
    assert (met.met, met.reason) == (
        True,
        "1 aspect listed and assessed; 1 compliance obligation listed.",
    )


async def test_iso_45001_needs_its_hazards_assessed(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "45001")
    program = await _program(session, plan, "a_45001")
    await _add(session, owner_a, plan, EntryKind.HAZARD, "a_45001", activity="Lifting")
    unmet = await judge(criteria.hazards_assessed, session, program)
    assert unmet.reason == "1 hazard not yet assessed (likelihood and impact)."
    await _add(
        session,
        owner_a,
        plan,
        EntryKind.HAZARD,
        "a_45001",
        activity="Cutting",
        likelihood=1,
        impact=1,
    )
    assert (await judge(criteria.hazards_assessed, session, program)).reason.startswith("1 hazard")


async def test_iso_27001_needs_every_risk_treated_and_a_consistent_soa(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "27001", controls=CONTROLS)
    program = await _program(session, plan, "a_27001")
    assert (await judge(criteria.risks_treated, session, program)).reason == (
        "The risk assessment lists no security risk yet."
    )
    risk = await _add(
        session,
        owner_a,
        plan,
        EntryKind.SECURITY_RISK,
        "a_27001",
        asset="CRM",
        threat="Phishing",
        likelihood=3,
        impact=3,
    )
    untreated = await judge(criteria.risks_treated, session, program)
    assert untreated.reason == "1 security risk is not yet assessed and treated."
    await service.update_entry(
        session,
        owner_a,
        EntryKind.SECURITY_RISK,
        risk,
        EntryFields(treatment="modify", control_refs=["A.5.1", "A.8.24"]),
    )
    inconsistent = await judge(criteria.risks_treated, session, program)
    assert (inconsistent.met, inconsistent.reason) == (
        False,
        "The Statement of Applicability excludes 1 control that a treatment selects.",
    )
    await service.update_entry(
        session, owner_a, EntryKind.SECURITY_RISK, risk, EntryFields(control_refs=["A.5.1"])
    )
    met = await judge(criteria.risks_treated, session, program)
    assert met.met, met.reason
