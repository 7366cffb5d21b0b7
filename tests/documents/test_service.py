"""Document rules below the API: codes, the lifecycle, approval, review dates, files."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor, conflict_on
from backend.core.calendar import TenantDay
from backend.core.errors import ErrorCode, ServiceError, conflict
from backend.db.session import TenantSession
from backend.documents import service
from backend.documents.models import ControlledDocument, DocumentStatus, DocumentType
from backend.documents.review import is_review_due, next_review_on
from backend.documents.service import DocumentFields, DocumentFilter
from tenants.roles import Role
from tenants.scope import TenantScope
from tests.documents.helpers import Setup, acting
from tests.tenants.helpers import owner_execute


def fields(code: str = "QM-01", **values: Any) -> DocumentFields:
    """A manual coded `code`, with `values` (DocumentFields keywords) on top."""
    return replace(DocumentFields(type=DocumentType.MANUAL, code=code, title="Manual"), **values)


async def refused(call: Awaitable[object]) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await call
    return caught.value


async def draft(db: TenantSession, actor: Actor, code: str = "QM-01") -> uuid.UUID:
    """A document of A with one version written by `actor`."""
    document = await service.create_document(db, actor, fields(code))
    await service.add_version(db, actor, document.id, "First issue")
    return document.id


async def as_(db: TenantSession, setup: Setup, user: str, role: Role) -> Actor:
    return await acting(db, setup, user, "a", role)


# --- metadata -----------------------------------------------------------------------------


async def test_a_code_is_unique_per_organization(session: TenantSession, setup: Setup) -> None:
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    created = await service.create_document(session, owner, fields(" QM-01 "))
    assert (created.code, created.status, created.review_interval_days) == ("QM-01", "draft", 365)
    error = await refused(service.create_document(session, owner, fields()))
    assert (error.code, error.field) == (ErrorCode.CONFLICT, ["code"])
    other = await service.create_document(session, owner, fields("QM-02"))
    error = await refused(service.update_document(session, owner, other.id, fields("QM-01")))
    assert error.code is ErrorCode.CONFLICT
    b_owner = await acting(session, setup, "b_owner", "b", Role.OWNER)
    in_b = await service.create_document(session, b_owner, fields())  # B has its own codes
    assert in_b.code == "QM-01"


async def test_only_the_named_constraint_becomes_a_conflict(
    session: TenantSession, setup: Setup
) -> None:
    """A clash on a constraint the caller did not name is a fault, not a user error."""
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    first = await service.create_document(session, owner, fields())
    same = {"tenant_id": first.tenant_id, "type": first.type, "code": first.code}

    async def add_twin(constraint: str) -> None:
        async with conflict_on(session, constraint, conflict("Taken.", ["code"])):
            session.add(ControlledDocument(**same, title="Twin"))
            await session.commit()

    with pytest.raises(IntegrityError):
        await add_twin("uq_some_other_rule")
    await session.rollback()
    with pytest.raises(ServiceError) as caught:
        await add_twin("uq_controlled_documents_code")
    assert (caught.value.code, caught.value.message) == (ErrorCode.CONFLICT, "Taken.")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": " "}, "code"),
        ({"code": "x" * 41}, "code"),
        ({"title": ""}, "title"),
        ({"review_interval_days": 0}, "reviewIntervalDays"),
        ({"review_interval_days": 3651}, "reviewIntervalDays"),
    ],
)
async def test_bad_metadata_is_invalid(
    session: TenantSession, setup: Setup, values: dict[str, Any], field: str
) -> None:
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    error = await refused(service.create_document(session, owner, fields(**values)))
    assert (error.code, error.field) == (ErrorCode.INVALID, [field])


async def test_the_owner_must_be_a_member(session: TenantSession, setup: Setup) -> None:
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    error = await refused(
        service.create_document(session, owner, fields(owner_id=setup.users["b_owner"]))
    )
    assert (error.code, error.field) == (ErrorCode.INVALID, ["ownerId"])
    made = await service.create_document(
        session, owner, fields(owner_id=setup.users["a_manager"], review_interval_days=3650)
    )
    assert (made.owner_id, made.review_interval_days) == (setup.users["a_manager"], 3650)


# --- lifecycle ----------------------------------------------------------------------------


async def test_the_whole_lifecycle_and_a_revision(session: TenantSession, setup: Setup) -> None:
    author = await as_(session, setup, "a_contributor", Role.CONTRIBUTOR)
    document_id = await draft(session, author)
    document = await service.submit_for_review(session, author, document_id)
    assert document.status == DocumentStatus.IN_REVIEW
    manager = await as_(session, setup, "a_manager", Role.MANAGER)
    document = await service.request_changes(session, manager, document_id)
    assert document.status == DocumentStatus.DRAFT
    author = await as_(session, setup, "a_contributor", Role.CONTRIBUTOR)
    document, version = await service.add_version(session, author, document_id, "Fixed")
    assert version.number == 2
    await service.submit_for_review(session, author, document_id)
    manager = await as_(session, setup, "a_manager", Role.MANAGER)
    document = await service.approve(session, manager, document_id)
    first_approval = document.approved_at
    assert (document.status, first_approval is not None) == (DocumentStatus.APPROVED, True)

    # A revision: back to draft, the approval in force stays until the next one.
    author = await as_(session, setup, "a_contributor", Role.CONTRIBUTOR)
    document, version = await service.add_version(session, author, document_id, "Revision")
    assert (document.status, version.number) == (DocumentStatus.DRAFT, 3)
    assert document.approved_at == first_approval
    await service.submit_for_review(session, author, document_id)
    manager = await as_(session, setup, "a_manager", Role.MANAGER)
    document = await service.approve(session, manager, document_id)
    assert document.approved_at is not None
    assert first_approval is not None
    assert document.approved_at > first_approval
    document = await service.make_obsolete(session, manager, document_id)
    assert document.status == DocumentStatus.OBSOLETE


async def test_refused_transitions_name_the_state(session: TenantSession, setup: Setup) -> None:
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    empty = await service.create_document(session, owner, fields("EMPTY"))
    error = await refused(service.submit_for_review(session, owner, empty.id))
    assert (error.code, error.message) == (ErrorCode.INVALID, "Add the version to review first.")
    error = await refused(service.approve(session, owner, empty.id))
    assert error.message == "A DRAFT document cannot be approved; it must be IN_REVIEW."
    error = await refused(service.request_changes(session, owner, empty.id))
    assert error.code is ErrorCode.INVALID

    document_id = await draft(session, owner)
    await service.submit_for_review(session, owner, document_id)
    error = await refused(service.submit_for_review(session, owner, document_id))
    assert "IN_REVIEW document cannot be submitted" in error.message
    error = await refused(service.add_version(session, owner, document_id, "More"))
    assert error.field == ["documentId"]

    await service.make_obsolete(session, owner, document_id)
    for call in (
        service.make_obsolete(session, owner, document_id),
        service.add_version(session, owner, document_id, "Again"),
        service.update_document(session, owner, document_id, DocumentFields(title="New")),
        service.link_requirement(session, owner, document_id, setup.programs["a"], "7.5.1"),
    ):
        error = await refused(call)
        assert error.code is ErrorCode.INVALID


async def test_an_approved_version_is_not_reviewed_again(
    session: TenantSession, setup: Setup
) -> None:
    author = await as_(session, setup, "a_owner", Role.OWNER)
    document_id = await draft(session, author)
    await service.submit_for_review(session, author, document_id)
    await service.approve(session, await as_(session, setup, "a_admin", Role.ADMIN), document_id)
    author = await as_(session, setup, "a_owner", Role.OWNER)
    error = await refused(service.submit_for_review(session, author, document_id))
    assert error.code is ErrorCode.INVALID  # approved, not a draft


# --- approval -----------------------------------------------------------------------------


async def test_approval_rules(session: TenantSession, setup: Setup) -> None:
    author = await as_(session, setup, "a_manager", Role.MANAGER)
    document_id = await draft(session, author)
    await service.submit_for_review(session, author, document_id)

    error = await refused(service.approve(session, author, document_id))
    assert error.code is ErrorCode.FORBIDDEN
    assert error.message.startswith("You wrote version 1, so you cannot approve it")
    contributor = await as_(session, setup, "a_contributor", Role.CONTRIBUTOR)
    for call in (
        service.approve(session, contributor, document_id),
        service.request_changes(session, contributor, document_id),
        service.make_obsolete(session, contributor, document_id),
    ):
        error = await refused(call)
        assert error.code is ErrorCode.FORBIDDEN
        assert "managers of the organization may do this" in error.message

    approver = await as_(session, setup, "a_owner", Role.OWNER)
    document = await service.approve(session, approver, document_id)
    [version] = await service.versions_of_documents(session, [document_id])
    assert version[0].approver_id == setup.users["a_owner"]
    assert version[0].author_id == setup.users["a_manager"]
    assert version[0].approved_at == document.approved_at


async def test_a_manager_approves_what_someone_else_wrote(
    session: TenantSession, setup: Setup
) -> None:
    author = await as_(session, setup, "a_contributor", Role.CONTRIBUTOR)
    document_id = await draft(session, author)
    await service.submit_for_review(session, author, document_id)
    manager = await as_(session, setup, "a_manager", Role.MANAGER)
    document = await service.approve(session, manager, document_id)
    assert document.status == DocumentStatus.APPROVED


# --- files --------------------------------------------------------------------------------


async def test_a_version_file_is_an_available_evidence_version_of_the_same_tenant(
    session: TenantSession, setup: Setup
) -> None:
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    document = await service.create_document(session, owner, fields())
    unknown = await refused(service.add_version(session, owner, document.id, "", uuid.uuid4()))
    foreign = await refused(service.add_version(session, owner, document.id, "", setup.files["b"]))
    assert (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, ["evidenceVersionId"])
    assert (foreign.code, foreign.message) == (unknown.code, unknown.message)
    pending = await refused(
        service.add_version(session, owner, document.id, "", setup.files["a_pending"])
    )
    assert (pending.code, pending.field) == (ErrorCode.INVALID, ["evidenceVersionId"])
    _, version = await service.add_version(session, owner, document.id, "", setup.files["a"])
    assert (version.number, version.evidence_version_id) == (1, setup.files["a"])


async def test_a_file_of_another_readable_tenant_is_refused_too(
    session: TenantSession, setup: Setup
) -> None:
    """Even a tenant the caller may read does not lend its files to another's documents."""
    tenants = frozenset({setup.orgs["a"], setup.orgs["b"]})
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    document = await service.create_document(session, owner, fields())
    await session.set_scope(TenantScope(setup.users["a_owner"], tenants, setup.orgs["a"]))
    error = await refused(service.add_version(session, owner, document.id, "", setup.files["b"]))
    assert error.code is ErrorCode.NOT_FOUND


# --- review dates -------------------------------------------------------------------------


def approved(days_ago: int, interval: int, status: str = "approved") -> ControlledDocument:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    return ControlledDocument(approved_at=when, review_interval_days=interval, status=status)


def test_review_falls_due_the_day_after_the_interval_ends() -> None:
    day = TenantDay.now("UTC")
    assert next_review_on(approved(30, 30), day) == day.today
    assert not is_review_due(approved(30, 30), day)
    assert is_review_due(approved(31, 30), day)
    assert not is_review_due(approved(31, 30, "obsolete"), day)  # withdrawn: nothing to review
    assert not is_review_due(ControlledDocument(review_interval_days=1, status="draft"), day)
    assert is_review_due(approved(31, 30, "draft"), day)  # a revision does not stop the clock


FAR_EAST = "Pacific/Kiritimati"  # UTC+14: most instants fall on a later date there than in UTC


def _just_after_local_midnight(day: TenantDay, days_ago: int) -> datetime:
    """An instant whose date is one day later on the tenant's calendar than in UTC."""
    midnight = datetime.combine(
        day.today - timedelta(days=days_ago), time(), ZoneInfo(day.timezone)
    )
    return midnight + timedelta(minutes=30)


def test_review_is_counted_from_the_tenants_date_of_the_approval() -> None:
    day = TenantDay.now(FAR_EAST)
    when = _just_after_local_midnight(day, 30)
    document = ControlledDocument(approved_at=when, review_interval_days=30, status="approved")
    assert when.astimezone(UTC).date() == day.today - timedelta(days=31)
    assert next_review_on(document, day) == day.today
    assert not is_review_due(document, day)


async def test_the_review_due_filter_reads_the_tenants_calendar_as_the_flag_does(
    session: TenantSession, setup: Setup, owner_engine: AsyncEngine
) -> None:
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    await owner_execute(
        owner_engine,
        "UPDATE organizations SET timezone = :zone WHERE id = :id",
        zone=FAR_EAST,
        id=setup.orgs["a"],
    )
    day = TenantDay.now(FAR_EAST)
    for code, days_ago in (("TODAY", 30), ("YESTERDAY", 31)):
        await service.create_document(session, owner, fields(code, review_interval_days=30))
        await owner_execute(
            owner_engine,
            "UPDATE controlled_documents SET status = 'approved', approved_at = :when"
            " WHERE code = :code",
            when=_just_after_local_midnight(day, days_ago),
            code=code,
        )
    due = await session.scalars(
        service.documents_statement(DocumentFilter(review_due=True), day.today)
    )
    assert [row.code for row in due] == ["YESTERDAY"]
    assert all(is_review_due(row, day) for row in due)


async def test_review_due_filter_matches_the_flag(
    session: TenantSession, setup: Setup, owner_engine: AsyncEngine
) -> None:
    owner = await as_(session, setup, "a_owner", Role.OWNER)
    for code in ("FRESH", "DUE", "NEVER"):
        await service.create_document(session, owner, fields(code, review_interval_days=30))
    await owner_execute(
        owner_engine,
        "UPDATE controlled_documents SET status = 'approved',"
        " approved_at = now() - make_interval(days => CASE code WHEN 'DUE' THEN 31 ELSE 30 END)"
        " WHERE code IN ('FRESH', 'DUE')",
    )
    today = datetime.now(UTC).date()
    for flag, expected in ((True, ["DUE"]), (False, ["FRESH", "NEVER"])):
        rows = list(
            await session.scalars(
                service.documents_statement(DocumentFilter(review_due=flag), today)
            )
        )
        assert sorted(row.code for row in rows) == expected
        assert all(is_review_due(row, TenantDay(today, "UTC")) is flag for row in rows)
    tomorrow = today + timedelta(days=1)
    rows = list(
        await session.scalars(
            service.documents_statement(DocumentFilter(review_due=True), tomorrow)
        )
    )
    assert sorted(row.code for row in rows) == ["DUE", "FRESH"]
