"""Certification below the API: the first certification from stage 1 to its certificate,
the stage 2 repeat rule, surveillance and suspension, renewal and restoration, and the
program's status following the cycle."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.certification import criteria, queries, rules, service
from backend.certification.models import Certificate, CertificateEvent
from backend.certification.rules import add_months
from backend.core.access import Actor
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.findings import service as findings
from backend.programs.models import Program
from backend.runtime import Runtime
from tenants.roles import Role
from tests.certification.helpers import (
    certified,
    decision,
    held,
    months_ago,
    raised,
    rows,
    verified,
)
from tests.certification.helpers import planned as plan_accepted
from tests.findings.helpers import TODAY
from tests.planning.helpers import Plan, acting


async def _status(db: TenantSession, plan: Plan, key: str) -> str:
    status = await db.scalar(select(Program.status).where(Program.id == plan.programs[key]))
    assert status is not None
    return status


async def _verdicts(db: TenantSession, plan: Plan, key: str) -> dict[str, tuple[bool, str]]:
    program = await db.get(Program, plan.programs[key], populate_existing=True)
    assert program is not None
    checks = {
        "stage-1-held": criteria.stage_1_held,
        "stage-2-held": criteria.stage_2_held,
        "majors-verified": criteria.majors_verified,
        "minors-planned": criteria.minors_planned,
        "decision-recorded": criteria.decision_recorded,
    }
    found = {}
    for name, check in checks.items():
        verdict = (await check(db, [program]))[program.id]
        found[name] = (verdict.met, verdict.reason)
    return found


async def test_a_first_certification_from_stage_1_to_an_integrated_certificate(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    both = [plan.programs["a"], plan.programs["a_q"]]
    concern = await raised(session, owner_a, plan, "observation")
    stage_1 = await held(
        session,
        owner_a,
        both,
        "stage_1",
        TODAY - timedelta(days=50),
        outcome="ready",
        finding_ids=[concern.id],
    )
    assert await _status(session, plan, "a") == "certification_audit"
    verdicts = await _verdicts(session, plan, "a")
    assert verdicts["stage-1-held"] == (
        False,
        f"Stage 1 held on {stage_1.actual_end}: 1 area(s) of concern still to resolve before"
        f" stage 2: {concern.reference}.",
    )
    await findings.close_finding(session, owner_a, concern.id, "Scope statement corrected.")
    assert (await _verdicts(session, plan, "a"))["stage-1-held"][0]

    major = await raised(session, owner_a, plan, "major_nonconformity")
    minor = await raised(session, owner_a, plan, "minor_nonconformity", "8.5.1")
    stage_2_end = TODAY - timedelta(days=20)
    await held(session, owner_a, both, "stage_2", stage_2_end, finding_ids=[major.id, minor.id])
    verdicts = await _verdicts(session, plan, "a")
    deadline = stage_2_end + timedelta(days=90)
    assert verdicts["majors-verified"] == (
        False,
        f"Not verified in time: {major.reference} (major nonconformities to be verified by"
        f" {deadline}: 90 days after the audit ended on {stage_2_end}).",
    )
    assert not verdicts["minors-planned"][0]
    assert minor.reference in verdicts["minors-planned"][1]
    with pytest.raises(ServiceError) as refused:
        await service.record_decision(session, owner_a, decision(both, TODAY))
    assert refused.value.code is ErrorCode.CRITERIA_UNMET
    assert major.reference in refused.value.message
    assert minor.reference in refused.value.message

    await verified(session, owner_a, major, plan)
    await plan_accepted(session, owner_a, minor, plan)
    certificate = await service.record_decision(session, owner_a, decision(both, TODAY))
    assert (certificate.cycle_number, certificate.expires_on) == (1, add_months(TODAY, 36))
    for key in ("a", "a_q"):
        assert await _status(session, plan, key) == "certified"
        assert all(met for met, _ in (await _verdicts(session, plan, key)).values())
    [facts] = await queries.cycle_facts(session, [certificate])
    assert len(facts.cycle().expected) == 3


async def test_stage_2_is_held_again_when_a_major_stays_unverified_for_six_months(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = [plan.programs["a"]]
    await held(session, owner_a, program, "stage_1", months_ago(8), outcome="ready")
    major = await raised(session, owner_a, plan, "major_nonconformity")
    ended = months_ago(7)
    await held(session, owner_a, program, "stage_2", ended, finding_ids=[major.id])
    met, reason = (await _verdicts(session, plan, "a"))["stage-2-held"]
    assert not met
    assert reason == (
        f"Stage 2 must be held again: {major.reference} open; stage 2 must be repeated if a"
        f" major nonconformity is not verified by {add_months(ended, 6)}: 6 months after"
        f" stage 2 ended on {ended}."
    )
    await verified(session, owner_a, major, plan)  # too late: verified today
    verdicts = await _verdicts(session, plan, "a")
    assert not verdicts["stage-2-held"][0]
    assert not verdicts["majors-verified"][0]
    await held(session, owner_a, program, "stage_2", TODAY - timedelta(days=1))
    assert (await _verdicts(session, plan, "a"))["stage-2-held"][0]


async def test_surveillance_moves_the_program_and_a_suspension_comes_back_where_it_stopped(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = [plan.programs["a"]]
    certificate = await certified(session, owner_a, program, months_ago(13))
    [facts] = await queries.cycle_facts(session, [certificate])
    reasons = rules.suspension_reasons(facts.cycle().expected)
    assert reasons
    assert reasons[0].startswith(
        f"first surveillance was due by {add_months(certificate.decision_on, 12)}"
    )
    await held(session, owner_a, program, "surveillance", TODAY - timedelta(days=2))
    assert await _status(session, plan, "a") == "surveillance_1"
    suspended = await service.suspend_certificate(
        session, owner_a, certificate.id, "The first surveillance was held late."
    )
    assert (suspended.state, suspended.suspended_on) == ("suspended", TODAY)
    assert await _status(session, plan, "a") == "suspended"
    with pytest.raises(ServiceError, match="is suspended"):
        await service.suspend_certificate(session, owner_a, certificate.id, "Again.")
    await service.reinstate_certificate(session, owner_a, certificate.id, "Resolved.")
    assert await _status(session, plan, "a") == "surveillance_1"
    await service.withdraw_certificate(session, owner_a, certificate.id, "Client left.")
    assert await _status(session, plan, "a") == "withdrawn"
    history = await session.scalars(
        select(CertificateEvent.state)
        .where(CertificateEvent.certificate_id == certificate.id)
        .order_by(CertificateEvent.created_at, CertificateEvent.id)
    )
    assert list(history) == ["active", "suspended", "active", "withdrawn"]


async def test_a_renewal_runs_on_from_the_previous_expiry(
    session: TenantSession, owner_a: Actor, plan: Plan
) -> None:
    program = [plan.programs["a"]]
    first = await certified(session, owner_a, program, months_ago(34))
    with pytest.raises(ServiceError, match="No recertification audit recommended"):
        await service.record_decision(session, owner_a, decision(program, TODAY))
    await held(session, owner_a, program, "recertification", TODAY - timedelta(days=5))
    assert await _status(session, plan, "a") == "recertification"
    renewed = await service.record_decision(session, owner_a, decision(program, TODAY))
    assert (renewed.cycle_number, renewed.previous_id) == (2, first.id)
    assert renewed.expires_on == add_months(first.expires_on, 36)
    assert await _status(session, plan, "a") == "certified"


async def test_an_expired_certificate_is_restored_within_six_months_and_not_after(
    session: TenantSession, owner_a: Actor, plan: Plan, owner_engine: AsyncEngine
) -> None:
    program = [plan.programs["a"]]
    lapsed = await certified(session, owner_a, program, months_ago(38))
    await held(session, owner_a, program, "recertification", TODAY - timedelta(days=3))
    with pytest.raises(ServiceError, match="restore it") as late:
        await service.record_decision(session, owner_a, decision(program, TODAY))
    assert late.value.field == ["decidedOn"]
    ended = update(Program).where(Program.id == plan.programs["a"])
    await session.execute(ended.values(status="expired"))
    with pytest.raises(ServiceError, match="has ended"):
        await service.restore_certificate(session, owner_a, lapsed.id, TODAY)
    await session.execute(ended.values(status="recertification"))
    restored = await service.restore_certificate(session, owner_a, lapsed.id, TODAY)
    assert await _status(session, plan, "a") == "certified"
    assert restored.expires_on == add_months(lapsed.expires_on, 36)
    assert (restored.cycle_number, restored.previous_id) == (2, lapsed.id)

    gone = await certified(session, owner_a, [plan.programs["a_q"]], months_ago(44))
    await held(session, owner_a, [plan.programs["a_q"]], "recertification", TODAY)
    before = await rows(owner_engine)
    with pytest.raises(ServiceError, match="starts again from stage 2"):
        await service.restore_certificate(session, owner_a, gone.id, TODAY)
    assert await rows(owner_engine) == before


async def test_two_decisions_at_once_start_one_cycle(
    session: TenantSession, owner_a: Actor, plan: Plan, runtime: Runtime
) -> None:
    program = [plan.programs["a"]]
    await held(session, owner_a, program, "stage_1", TODAY - timedelta(days=30), outcome="ready")
    await held(session, owner_a, program, "stage_2", TODAY - timedelta(days=3))

    async def decide() -> Certificate | ServiceError:
        async with runtime.sessions() as db:
            actor = await acting(db, plan, "a_owner", "a", Role.OWNER)
            try:
                return await service.record_decision(db, actor, decision(program, TODAY))
            except ServiceError as error:
                return error

    results = await asyncio.gather(decide(), decide())
    assert sorted(type(result).__name__ for result in results) == ["Certificate", "ServiceError"]
    count = await session.scalar(select(func.count()).select_from(Certificate))
    assert count == 1
