"""Exit criterion of the implementation step that evidence judges: records are produced."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.db.session import TenantSession
from backend.evidence import criteria, service
from backend.programs.criteria import criteria_of
from backend.programs.models import StepKey
from backend.programs.service import readable_program
from tests.api.helpers import count_statements
from tests.evidence.helpers import MemoryStore, available, confirmed_days_ago, new_item
from tests.planning.helpers import Plan
from tests.support import judge
from tests.tenants.helpers import owner_execute


async def _verdict(db: TenantSession, plan: Plan) -> tuple[bool, str]:
    program = await readable_program(db, plan.programs["a"])
    verdict = await judge(criteria.records_produced, db, program)
    return verdict.met, verdict.reason


async def test_records_are_produced_when_each_asking_requirement_has_fresh_evidence(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    """7.1 asks for evidence but was judged not applicable; 4.1 and 8.5.1 ask and apply."""
    assert "records-produced" in {item.key for item in criteria_of(StepKey.IMPLEMENTATION)}
    assert await _verdict(session, plan) == (
        True,
        "No applicable requirement asks for documented information.",
    )
    await owner_execute(
        owner_engine,
        "UPDATE clauses SET documented_information = true WHERE id = ANY(:ids)",
        ids=[plan.clauses[("X", "4.1")], plan.clauses[("X", "8.5.1")]],
    )
    assert await _verdict(session, plan) == (
        False,
        "2 requirements have no fresh evidence (current or expiring soon) yet: 4.1, 8.5.1.",
    )
    version = await available(session, store, owner_a, target=new_item(review_interval_days=10))
    for number in ("4.1", "8.5.1"):
        target = service.LinkTarget(plan.programs["a"], requirement=number)
        await service.link_evidence(session, owner_a, version.evidence_id, target)
    assert await _verdict(session, plan) == (
        True,
        "Each of the 2 requirements that ask for records has fresh evidence.",
    )
    await confirmed_days_ago(owner_engine, version.id, 11)  # its review is overdue: stale
    with count_statements() as sent:
        assert (await _verdict(session, plan))[0] is False
    assert len(sent) == 2  # the program, then the one statement of the criterion
