"""Downloads (recorded, also for auditors), links to what evidence proves, soft deletion."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.core.calendar import TenantDay
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession
from backend.evidence import service
from backend.evidence.freshness import Freshness
from backend.evidence.models import EvidenceDownload, EvidenceItem, EvidenceLink
from backend.planning.models import Action
from backend.programs.models import ProgramStep
from backend.programs.service import readable_program
from tenants.roles import Role
from tests.evidence.helpers import LIMITS, MemoryStore, available, count_rows, declare, uploaded
from tests.planning.helpers import Plan, acting


async def _download(
    db: TenantSession, store: MemoryStore, user_id: uuid.UUID, version_id: uuid.UUID
) -> str:
    return (await service.download_url(db, store, LIMITS, user_id, version_id)).url


async def _downloads(owner_engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with owner_engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT tenant_id, version_id, user_id FROM evidence_downloads")
        )
        return [tuple(row) for row in rows]


async def test_a_member_gets_a_signed_url_and_the_download_is_recorded(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    version = await available(session, store, owner_a)
    url = await _download(session, store, owner_a.user_id, version.id)
    assert url.startswith(f"memory://download/{version.storage_key}")
    assert await _downloads(owner_engine) == [(plan.orgs["a"], version.id, owner_a.user_id)]


async def test_pending_versions_do_not_download(
    session: TenantSession, store: MemoryStore, owner_a: Actor, owner_engine: AsyncEngine
) -> None:
    version = await uploaded(session, store, owner_a)
    with pytest.raises(ServiceError) as refused:
        await _download(session, store, owner_a.user_id, version.id)
    assert refused.value.code == ErrorCode.INVALID
    assert await _downloads(owner_engine) == []


async def test_an_auditor_downloads_what_is_granted_and_still_writes_nothing_else(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    version = await available(session, store, owner_a)
    auditor = await acting(session, plan, "auditor", "a", Role.AUDITOR)
    reader_scope = session.scope
    await _download(session, store, auditor.user_id, version.id)
    assert await _downloads(owner_engine) == [(plan.orgs["a"], version.id, auditor.user_id)]
    assert session.scope == reader_scope
    session.add(EvidenceItem(tenant_id=plan.orgs["a"], title="Forged", kind="record"))
    with pytest.raises(DBAPIError, match="row-level security"):
        await session.commit()
    await session.rollback()
    with pytest.raises(DBAPIError, match="permission denied"):
        await session.execute(text("DELETE FROM evidence_downloads"))
    await session.rollback()
    assert await count_rows(owner_engine, "evidence_items") == 1
    assert await count_rows(owner_engine, "evidence_downloads") == 1


async def test_the_audit_record_never_carries_pending_changes_into_the_wider_scope(
    session: TenantSession, store: MemoryStore, owner_a: Actor, plan: Plan
) -> None:
    version = await available(session, store, owner_a)
    await acting(session, plan, "auditor", "a", Role.AUDITOR)
    session.add(EvidenceItem(tenant_id=plan.orgs["a"], title="Smuggled", kind="record"))
    with pytest.raises(RuntimeError):
        await service.record_download(session, plan.orgs["a"], version.id, plan.users["auditor"])


async def test_another_tenant_cannot_get_a_download_url(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    version = await available(session, store, owner_a)
    b_owner = await acting(session, plan, "b_owner", "b", Role.OWNER)
    answers = []
    for version_id in (version.id, uuid.uuid4()):
        with pytest.raises(ServiceError) as refused:
            await _download(session, store, b_owner.user_id, version_id)
        answers.append((refused.value.code, refused.value.message))
    assert answers[0] == answers[1] == (ErrorCode.NOT_FOUND, "Evidence version not found.")
    assert await _downloads(owner_engine) == []


async def test_evidence_links_to_a_requirement_a_step_and_an_action_of_its_program(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    item_id = (await available(session, store, owner_a)).evidence_id
    program = plan.programs["a"]
    step_id = await session.scalar(select(ProgramStep.id).where(ProgramStep.program_id == program))
    action_id = await _action(owner_engine, plan)
    targets = [
        service.LinkTarget(program, requirement="8.5.1"),
        service.LinkTarget(program, requirement=plan.clauses[("X", "4.1")]),
        service.LinkTarget(program, step_id=step_id),
        service.LinkTarget(program, action_id=action_id),
    ]
    links = [await service.link_evidence(session, owner_a, item_id, each) for each in targets]
    assert links[0].clause_id == plan.clauses[("X", "8.5.1")]
    assert (links[2].step_id, links[3].action_id) == (step_id, action_id)
    again = await service.link_evidence(session, owner_a, item_id, targets[0])
    assert again.id == links[0].id
    assert await service.unlink_evidence(session, owner_a, links[1].id) == links[1].id
    assert await count_rows(owner_engine, "evidence_links") == 3


async def _action(owner_engine: AsyncEngine, plan: Plan) -> uuid.UUID:
    action_id = uuid.uuid4()
    async with owner_engine.begin() as connection:
        await connection.execute(
            insert(Action).values(
                id=action_id,
                tenant_id=plan.orgs["a"],
                program_id=plan.programs["a"],
                title="Calibrate the gauges",
                description="",
                status="open",
            )
        )
    return action_id


@pytest.mark.parametrize(
    ("program", "target", "code"),
    [
        ("a_other", {"requirement": "8.5.1"}, ErrorCode.INVALID),  # not in that standard
        ("b", {"requirement": "8.5.1"}, ErrorCode.NOT_FOUND),  # another tenant's program
        ("a", {}, ErrorCode.INVALID),  # no target
        ("a", {"requirement": "4.1", "step_id": uuid.uuid4()}, ErrorCode.INVALID),  # two
        ("a", {"step_id": uuid.uuid4()}, ErrorCode.NOT_FOUND),
        ("a", {"action_id": uuid.uuid4()}, ErrorCode.NOT_FOUND),
    ],
)
async def test_links_name_one_target_of_a_program_of_the_same_tenant(
    *,
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
    program: str,
    target: dict[str, object],
    code: ErrorCode,
) -> None:
    item_id = (await available(session, store, owner_a)).evidence_id
    with pytest.raises(ServiceError) as refused:
        await service.link_evidence(
            session,
            owner_a,
            item_id,
            service.LinkTarget(plan.programs[program], **target),  # type: ignore[arg-type]
        )
    assert refused.value.code == code
    assert await count_rows(owner_engine, "evidence_links") == 0


async def test_a_step_of_another_program_is_not_a_target(
    session: TenantSession, store: MemoryStore, owner_a: Actor, plan: Plan
) -> None:
    item_id = (await available(session, store, owner_a)).evidence_id
    other_step = await session.scalar(
        select(ProgramStep.id).where(ProgramStep.program_id == plan.programs["a_other"])
    )
    target = service.LinkTarget(plan.programs["a"], step_id=other_step)
    with pytest.raises(ServiceError) as refused:
        await service.link_evidence(session, owner_a, item_id, target)
    assert refused.value.code == ErrorCode.NOT_FOUND


async def test_deleting_hides_the_item_but_keeps_its_versions_and_links(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    version = await available(session, store, owner_a)
    target = service.LinkTarget(plan.programs["a"], requirement="4.1")
    await service.link_evidence(session, owner_a, version.evidence_id, target)
    program = await readable_program(session, plan.programs["a"])
    listed = service.evidence_statement(program, service.EvidenceFilter(), _today())
    assert len((await session.scalars(listed)).all()) == 1

    deleted = await service.delete_evidence(session, owner_a, version.evidence_id)
    assert deleted.deleted_at is not None
    assert (await session.scalars(listed)).all() == []
    by_requirement = await service.requirement_evidence(
        session, program, TenantDay(_today(), "UTC")
    )
    assert all(entry.freshness is Freshness.MISSING for entry in by_requirement)
    assert await count_rows(owner_engine, "evidence_versions") == 1
    assert await count_rows(owner_engine, "evidence_links") == 1
    assert version.storage_key in store.objects
    for later in (
        service.request_upload(
            session, store, LIMITS, owner_a, target=version.evidence_id, declared=_declared()
        ),
        service.delete_evidence(session, owner_a, version.evidence_id),
        service.download_url(session, store, LIMITS, owner_a.user_id, version.id),
    ):
        with pytest.raises(ServiceError) as refused:
            await later
        assert refused.value.code == ErrorCode.NOT_FOUND


@pytest.mark.parametrize(("user", "role"), [("a_viewer", Role.VIEWER), ("auditor", Role.AUDITOR)])
async def test_readers_cannot_link_unlink_or_delete(
    *,
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
    user: str,
    role: Role,
) -> None:
    item_id = (await available(session, store, owner_a)).evidence_id
    target = service.LinkTarget(plan.programs["a"], requirement="4.1")
    link_id = (await service.link_evidence(session, owner_a, item_id, target)).id
    reader = await acting(session, plan, user, "a", role)
    for change in (
        service.link_evidence(
            session, reader, item_id, service.LinkTarget(plan.programs["a"], requirement="4.2")
        ),
        service.unlink_evidence(session, reader, link_id),
        service.delete_evidence(session, reader, item_id),
    ):
        with pytest.raises(ServiceError) as refused:
            await change
        assert refused.value.code == ErrorCode.FORBIDDEN
        await session.rollback()
    assert await count_rows(owner_engine, "evidence_links") == 1
    item = await session.get(EvidenceItem, item_id, populate_existing=True)
    assert item is not None
    assert item.deleted_at is None
    assert (await session.scalars(select(EvidenceLink.id))).all() == [link_id]
    assert (await session.scalars(select(EvidenceDownload))).all() == []


def _today() -> date:
    return datetime.now(UTC).date()


def _declared() -> service.FileDeclaration:
    return declare(b"second")
