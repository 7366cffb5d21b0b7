"""Shared helpers for the documents tests: programs on the real ISO 9001 catalog, extra
members, evidence files, scoped sessions and a GraphQL client for the document mutations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.auth.passwords import hash_password
from backend.catalog.models import Standard
from backend.core.access import Actor, Permission, role_may
from backend.db.session import TenantSession
from backend.evidence.models import EvidenceItem, EvidenceVersion, VersionStatus
from backend.programs.models import Program, ProgramStep, StepKey
from tenants.models import Membership, User
from tenants.roles import Role
from tenants.scope import TenantScope
from tests.support import PASSWORD, Client, World, global_id, gql

_PASSWORD_HASH = hash_password(PASSWORD)
EXTRA_MEMBERS = {"a_manager": Role.MANAGER, "a_contributor": Role.CONTRIBUTOR}
DOCUMENT_TABLES = ("controlled_documents", "document_versions", "document_requirements")
# Files of tenant A (available and still pending) and of tenant B (available).
FILES = {"a": ("a", VersionStatus.AVAILABLE), "a_pending": ("a", VersionStatus.PENDING)}
FILES |= {"b": ("b", VersionStatus.AVAILABLE)}


@dataclass
class Setup:
    """Ids of the seeded rows: ISO 9001 programs in A and B, members, evidence versions."""

    orgs: dict[str, uuid.UUID] = field(default_factory=dict)
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    programs: dict[str, uuid.UUID] = field(default_factory=dict)
    files: dict[str, uuid.UUID] = field(default_factory=dict)
    standard_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def org_gid(self, name: str) -> str:
        return global_id("Organization", self.orgs[name])

    def program_gid(self, name: str) -> str:
        return global_id("Program", self.programs[name])

    def user_gid(self, name: str) -> str:
        return global_id("User", self.users[name])

    def file_gid(self, name: str) -> str:
        return global_id("EvidenceVersion", self.files[name])


async def seed(owner_engine: AsyncEngine, world: World) -> Setup:
    setup = Setup(
        orgs={name: org.id for name, org in world.orgs.items()},
        users={name: user.id for name, user in world.users.items()},
    )
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        standard_id = await db.scalar(
            select(Standard.id).where(Standard.code == "ISO 9001", Standard.edition == "2015")
        )
        assert standard_id is not None
        setup.standard_id = standard_id
        for org in ("a", "b"):
            program = Program(
                tenant_id=setup.orgs[org], standard_id=standard_id, scope_statement="All of it"
            )
            db.add(program)
            await db.flush()
            setup.programs[org] = program.id
            db.add_all(
                ProgramStep(tenant_id=program.tenant_id, program_id=program.id, number=n, key=key)
                for n, key in enumerate(StepKey, start=1)
            )
        for name, role in EXTRA_MEMBERS.items():
            setup.users[name] = await _add_member(db, setup.orgs["a"], name, role)
        for name, (org, status) in FILES.items():
            setup.files[name] = await _add_file(db, setup.orgs[org], status)
        await db.commit()
    return setup


async def _add_member(db: AsyncSession, tenant_id: uuid.UUID, name: str, role: Role) -> uuid.UUID:
    user = User(
        id=uuid.uuid4(),
        email=f"{name}@example.test",
        name=name.replace("_", " ").title(),
        password_hash=_PASSWORD_HASH,
    )
    db.add(user)
    await db.flush()
    db.add(Membership(tenant_id=tenant_id, user_id=user.id, role=role.value))
    return user.id


async def _add_file(db: AsyncSession, tenant_id: uuid.UUID, status: VersionStatus) -> uuid.UUID:
    item = EvidenceItem(tenant_id=tenant_id, title="Quality manual", kind="document")
    db.add(item)
    await db.flush()
    version = EvidenceVersion(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        evidence_id=item.id,
        storage_key=f"tenants/{tenant_id}/evidence/{item.id}/{uuid.uuid4()}",
        filename="manual.pdf",
        content_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
        status=status.value,
        upload_expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )
    db.add(version)
    return version.id


async def acting(db: TenantSession, setup: Setup, user: str, org: str, role: Role) -> Actor:
    """Scope `db` the way a request of `user` acting in `org` with `role` is scoped."""
    tenant = setup.orgs[org]
    write = tenant if role_may(role, Permission.CONTRIBUTE) else None
    await db.set_scope(TenantScope(setup.users[user], frozenset({tenant}), write))
    return Actor(setup.users[user], tenant, role)


async def document_rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    """Every document row as the owner sees it, to prove a refused change changed nothing."""
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with owner_engine.connect() as connection:
        for table in DOCUMENT_TABLES:
            found = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in found]
    return rows


# --- GraphQL ------------------------------------------------------------------------------

ERRORS = "errors { field code message }"
VERSION = "id number changeSummary file approvedAt author { name } approver { name }"
DOCUMENT = (
    "id type code title status reviewIntervalDays approvedAt nextReviewOn reviewDue"
    f" owner {{ name }} versions {{ {VERSION} }} currentVersion {{ number }}"
    " requirements { requirement { number } program { id } }"
)
INPUTS = {
    "createDocument": "CreateDocumentInput",
    "updateDocument": "UpdateDocumentInput",
    "addDocumentVersion": "AddDocumentVersionInput",
    "submitDocumentForReview": "DocumentLifecycleInput",
    "approveDocument": "DocumentLifecycleInput",
    "requestDocumentChanges": "DocumentLifecycleInput",
    "obsoleteDocument": "DocumentLifecycleInput",
    "linkDocumentRequirement": "DocumentRequirementInput",
    "unlinkDocumentRequirement": "DocumentRequirementInput",
}
DOCUMENTS = f"""
query($status: DocumentStatus, $type: DocumentType, $reviewDue: Boolean, $first: Int) {{
  documents(status: $status, type: $type, reviewDue: $reviewDue, first: $first) {{
    totalCount edges {{ node {{ {DOCUMENT} }} }}
  }}
}}
"""
CHECKLIST = """
query($programId: ID!) {
  mandatoryDocuments(programId: $programId) {
    requirement { number } coverage covered documents { code status reviewDue }
  }
}
"""


def mutation_document(name: str) -> str:
    result = f"version {{ {VERSION} }} " if name == "addDocumentVersion" else ""
    return (
        f"mutation($input: {INPUTS[name]}!) {{ {name}(input: $input) {{"
        f" {result}document {{ {DOCUMENT} }} {ERRORS} }} }}"
    )


async def mutate(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    body = await gql(client, mutation_document(name), {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def done(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    """The document a mutation leaves; the mutation must succeed."""
    payload = await mutate(client, name, input, token=token, tenant=tenant)
    assert payload["errors"] == [], payload
    document: dict[str, Any] = payload["document"]
    return document


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]
