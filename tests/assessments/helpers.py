"""The test catalog (three small standards) and the scene every gap-analysis test acts in.

The standards are seeded once per test module (the table cleaner keeps the catalog) and
removed after it; programs and their assessments are per test (see conftest.py).
Harmonized keys: 4.1, 4.2 and 9.2 in the quality and security standards, only 4.1 in the
environmental one. The security standard has annex controls; the quality standard has 120
extra requirements under 10 so lists can be large.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.assessments.models import Assessment, AssessmentChange
from backend.auth.passwords import UNUSABLE_PASSWORD
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.access import Actor
from backend.db.session import TenantSession, execution_options_skipping_criteria
from backend.programs.models import Program
from backend.runtime import Runtime
from tenants.entitlements import load_entitlements
from tenants.models import Membership, User
from tenants.roles import Role
from tests.support import World

# (number, title, hs_key, components, children); a node without children is assessable.
Node = tuple[str, str, str | None, list[str], list[Any]]
EXTRA_REQUIREMENTS = 120

SECURITY_CLAUSES: list[Node] = [
    ("4", "Context", None, [], [
        ("4.1", "Understanding the organization", "4.1", ["context"], []),
        ("4.2", "Interested parties", "4.2", ["context"], []),
    ]),
    ("6", "Planning", None, [], [
        ("6.1.3", "Risk treatment", None, ["risk"], []),
    ]),
    ("9", "Performance evaluation", None, [], [
        ("9.2", "Internal audit", "9.2", ["audit"], []),
    ]),
]  # fmt: skip
# (number, title, theme, hs_key): every control is assessable. A.5.35 shares 9.2 with the
# clause, so a program may hold two requirements of one harmonized clause.
SECURITY_CONTROLS = [
    ("A.5.1", "Policies for information security", "organizational", None),
    ("A.5.2", "Information security roles", "organizational", None),
    ("A.5.35", "Independent review", "organizational", "9.2"),
    ("A.6.1", "Screening", "people", None),
    ("A.8.1", "User endpoint devices", "technological", None),
]
QUALITY_CLAUSES: list[Node] = [
    ("4", "Context", None, [], [
        ("4.1", "Understanding the organization", "4.1", ["leadership"], []),
        ("4.2", "Interested parties", "4.2", ["customer_focus"], []),
    ]),
    ("8", "Operation", None, [], [
        ("8.5", "Production", None, [], [
            ("8.5.1", "Control of production", None, ["process_approach"], []),
            ("8.5.2", "Identification and traceability", None, ["process_approach"], []),
        ]),
        ("8.6", "Release", None, ["process_approach"], []),
    ]),
    ("9", "Performance evaluation", None, [], [
        ("9.2", "Internal audit", "9.2", ["improvement"], []),
    ]),
    ("10", "Improvement", None, [], [
        (f"10.{n}", f"Improvement topic {n}", None, ["improvement"], [])
        for n in range(1, EXTRA_REQUIREMENTS + 1)
    ]),
]  # fmt: skip
ENVIRONMENT_CLAUSES: list[Node] = [
    ("4", "Context", None, [], [
        ("4.1", "Understanding the organization", "4.1", ["planning"], []),
    ]),
    ("6", "Planning", None, [], [
        ("6.1.2", "Environmental aspects", None, ["planning"], []),
    ]),
]  # fmt: skip


@dataclass
class SeededStandard:
    id: uuid.UUID
    code: str
    edition: str
    clauses: dict[str, uuid.UUID] = field(default_factory=dict)  # number -> clause id
    assessable: list[str] = field(default_factory=list)  # numbers, in catalog order

    @property
    def name(self) -> str:
        return f"{self.code}:{self.edition}"


@dataclass(frozen=True)
class Catalog:
    security: SeededStandard
    quality: SeededStandard
    environment: SeededStandard


class _Positions:
    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        self.next += 1
        return self.next


def _add_nodes(
    db: AsyncSession,
    standard: SeededStandard,
    nodes: list[Node],
    parent: uuid.UUID | None,
    positions: _Positions,
) -> None:
    for number, title, hs_key, components, children in nodes:
        clause = Clause(
            id=uuid.uuid4(),
            standard_id=standard.id,
            parent_id=parent,
            number=number,
            title=title,
            guidance="Test guidance.",
            kind=ClauseKind.CLAUSE.value,
            components=components,
            hs_key=hs_key,
            assessable=not children,
            position=positions.take(),
        )
        db.add(clause)
        standard.clauses[number] = clause.id
        if not children:
            standard.assessable.append(number)
        _add_nodes(db, standard, children, clause.id, positions)


def _add_controls(db: AsyncSession, standard: SeededStandard, positions: _Positions) -> None:
    for number, title, theme, hs_key in SECURITY_CONTROLS:
        clause = Clause(
            id=uuid.uuid4(),
            standard_id=standard.id,
            number=number,
            title=title,
            kind=ClauseKind.CONTROL.value,
            theme=theme,
            hs_key=hs_key,
            components=["access_control"],
            assessable=True,
            position=positions.take(),
        )
        db.add(clause)
        standard.clauses[number] = clause.id
        standard.assessable.append(number)


async def seed_standard(
    db: AsyncSession, code: str, edition: str, nodes: list[Node], *, controls: bool = False
) -> SeededStandard:
    standard = SeededStandard(uuid.uuid4(), f"{code} {uuid.uuid4().hex[:6]}", edition)
    db.add(
        Standard(
            id=standard.id,
            code=standard.code,
            edition=edition,
            title=f"{code} for tests",
            purpose="Exercises the gap analysis.",
            components=[],
            source_digest="0" * 64,
        )
    )
    await db.flush()
    positions = _Positions()
    _add_nodes(db, standard, nodes, None, positions)
    if controls:
        _add_controls(db, standard, positions)
    await db.flush()
    return standard


Stored = dict[str, list[tuple[Any, ...]]]
# Everything a gap-analysis operation could change, as the owner sees it.
STORED_TABLES = ("assessments", "assessment_changes")


@dataclass(frozen=True)
class Scene:
    """What a gap-analysis test works with: the seeded tenants, the test catalog, sessions
    that act as a user would, and the owner's view of what was stored."""

    world: World
    catalog: Catalog
    owner: AsyncEngine
    runtime: Runtime

    def user(self, name: str) -> uuid.UUID:
        return self.world.users[name].id

    def org(self, name: str) -> uuid.UUID:
        return self.world.orgs[name].id

    @asynccontextmanager
    async def acting(
        self, user: str | uuid.UUID, tenant: str = "a"
    ) -> AsyncIterator[tuple[TenantSession, Actor]]:
        """A session scoped like a request of `user` naming `tenant`, and the actor."""
        user_id = self.user(user) if isinstance(user, str) else user
        tenant_id = self.org(tenant)
        async with self.runtime.sessions() as db:
            entitlements = await load_entitlements(db, user_id)
            role = entitlements.role_in(tenant_id)
            assert role is not None, "the user must be entitled to the tenant"
            await db.set_scope(entitlements.scope(tenant_id))
            yield db, Actor(user_id, tenant_id, role)

    async def start_program(
        self, standard: SeededStandard, tenant_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        """A program of `standard` (in tenant A by default), with a not-assessed assessment
        per requirement, the way starting a program leaves it."""
        program_id, tenant_id = uuid.uuid4(), tenant_id or self.org("a")
        async with AsyncSession(self.owner) as db:
            db.add(
                Program(
                    id=program_id,
                    tenant_id=tenant_id,
                    standard_id=standard.id,
                    scope_statement="Everything we do.",
                )
            )
            await db.flush()
            db.add_all(
                Assessment(
                    tenant_id=tenant_id, program_id=program_id, clause_id=standard.clauses[number]
                )
                for number in standard.assessable
            )
            await db.commit()
        return program_id

    async def add_person(self, role: Role, tenant: str = "a") -> uuid.UUID:
        """A new user with a membership of `role`."""
        user_id = uuid.uuid4()
        async with AsyncSession(self.owner) as db:
            db.add(
                User(
                    id=user_id,
                    email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.test",
                    name=f"A {role.value}",
                    password_hash=UNUSABLE_PASSWORD,
                )
            )
            await db.flush()
            db.add(Membership(tenant_id=self.org(tenant), user_id=user_id, role=role.value))
            await db.commit()
        return user_id

    async def assessment(self, program_id: uuid.UUID, clause_id: uuid.UUID) -> Assessment:
        """The stored assessment (no row-level security, no tenant criteria)."""
        async with AsyncSession(self.owner) as db:
            found = await db.scalar(
                select(Assessment).where(
                    Assessment.program_id == program_id, Assessment.clause_id == clause_id
                ),
                execution_options=execution_options_skipping_criteria(),
            )
            assert found is not None
            return found

    async def history(self, assessment_id: uuid.UUID) -> list[AssessmentChange]:
        """An assessment's stored changes, oldest first."""
        async with AsyncSession(self.owner) as db:
            rows = await db.scalars(
                select(AssessmentChange)
                .where(AssessmentChange.assessment_id == assessment_id)
                .order_by(AssessmentChange.changed_at),
                execution_options=execution_options_skipping_criteria(),
            )
            return list(rows)

    async def stored(self) -> Stored:
        """Every row of the gap-analysis tables, to show that a refusal changed nothing."""
        rows = {}
        async with self.owner.connect() as connection:
            for table in STORED_TABLES:
                result = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
                rows[table] = [tuple(row) for row in result]
        return rows
