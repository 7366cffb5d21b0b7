"""Shared helpers for the planning tests: a small seeded catalog and programs, scoped sessions.

Two throw-away standards (X with a handful of requirements, Y with two of its own), a program
on X in tenant A with assessments, a program on Y in A and a program on X in B, each with its
seven steps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.assessments.models import Assessment
from backend.auth.passwords import hash_password
from backend.catalog.models import Clause, ClauseKind, Standard
from backend.core.access import Actor, Permission, role_may
from backend.db.session import TenantSession
from backend.programs.models import Program, ProgramStep, StepKey
from tenants.models import Membership, User
from tenants.roles import Role
from tenants.scope import TenantScope
from tests.support import PASSWORD, World, global_id

_PASSWORD_HASH = hash_password(PASSWORD)

# Assessable requirements of standard X, in document order, with the status tenant A found.
X_REQUIREMENTS = {
    "4.1": "conformant",
    "4.2": "partial",
    "5.1": "nonconformant",
    "6.2": "partial",
    "7.1": "not_applicable",
    "8.5.1": "nonconformant",
    "9.2": "not_assessed",
    "10.2": "conformant",
}
Y_REQUIREMENTS = ("4.1", "Y.1")
GAPS = ("4.2", "5.1", "6.2", "8.5.1")  # partial or nonconformant, in document order
EXTRA_MEMBERS = {"a_manager": Role.MANAGER, "a_contributor": Role.CONTRIBUTOR}
PROGRAMS = {"a": ("a", "X"), "a_other": ("a", "Y"), "b": ("b", "X")}  # key: (tenant, standard)
PLANNING_TABLES = ("objectives", "actions", "action_requirements", "milestones")


@dataclass
class Plan:
    """Ids of the seeded rows: `clauses[("X", "8.5.1")]` is a clause id, `orgs["a"]` a tenant."""

    orgs: dict[str, uuid.UUID] = field(default_factory=dict)
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    standards: dict[str, uuid.UUID] = field(default_factory=dict)
    clauses: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)
    programs: dict[str, uuid.UUID] = field(default_factory=dict)

    def program_gid(self, name: str) -> str:
        return global_id("Program", self.programs[name])

    def user_gid(self, name: str) -> str:
        return global_id("User", self.users[name])

    def org_gid(self, name: str) -> str:
        return global_id("Organization", self.orgs[name])


def _standard(name: str, numbers: tuple[str, ...]) -> Standard:
    standard = Standard(
        id=uuid.uuid4(),
        code=f"TEST-{name}-{uuid.uuid4().hex[:8]}",
        edition="1",
        title=f"Planning test standard {name}",
        purpose="A throw-away standard for the planning tests.",
        components=[],
        source_digest="0" * 64,
    )
    standard.clauses = [
        Clause(
            id=uuid.uuid4(),
            number=number,
            title=f"Requirement {number}",
            kind=ClauseKind.CLAUSE.value,
            assessable=True,
            position=position,
        )
        for position, number in enumerate(numbers)
    ]
    return standard


async def seed_plan(owner_engine: AsyncEngine, world: World) -> Plan:
    plan = Plan(
        orgs={name: org.id for name, org in world.orgs.items()},
        users={name: user.id for name, user in world.users.items()},
    )
    standards = {"X": _standard("X", tuple(X_REQUIREMENTS)), "Y": _standard("Y", Y_REQUIREMENTS)}
    async with AsyncSession(owner_engine, expire_on_commit=False) as db:
        for name, standard in standards.items():
            plan.standards[name] = standard.id
            plan.clauses.update({(name, c.number): c.id for c in standard.clauses})
        programs = {
            key: Program(
                id=uuid.uuid4(),
                tenant_id=plan.orgs[org],
                standard_id=plan.standards[standard],
                scope_statement=f"Everything program {key} covers",
            )
            for key, (org, standard) in PROGRAMS.items()
        }
        plan.programs = {key: program.id for key, program in programs.items()}
        db.add_all(standards.values())
        await db.flush()
        db.add_all(programs.values())
        await db.flush()
        db.add_all(
            ProgramStep(tenant_id=program.tenant_id, program_id=program.id, number=n, key=key)
            for program in programs.values()
            for n, key in enumerate(StepKey, start=1)
        )
        db.add_all(
            Assessment(
                tenant_id=plan.orgs["a"],
                program_id=plan.programs["a"],
                clause_id=plan.clauses[("X", number)],
                status=status,
            )
            for number, status in X_REQUIREMENTS.items()
        )
        for name, role in EXTRA_MEMBERS.items():
            plan.users[name] = await _add_member(db, plan.orgs["a"], name, role)
        await db.commit()
    return plan


async def _add_member(db: AsyncSession, tenant_id: uuid.UUID, name: str, role: Role) -> uuid.UUID:
    """A member who can log in as `name`, like the world's own users."""
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


async def remove_plan(owner_engine: AsyncEngine, plan: Plan) -> None:
    """Drop the throw-away standards (and what hangs off them), so the shared catalog stays."""
    standards = list(plan.standards.values())
    async with owner_engine.begin() as connection:
        ids = {"ids": standards}
        await connection.execute(text("DELETE FROM programs WHERE standard_id = ANY(:ids)"), ids)
        await connection.execute(text("DELETE FROM standards WHERE id = ANY(:ids)"), ids)


async def acting(db: TenantSession, plan: Plan, user: str, org: str, role: Role) -> Actor:
    """Scope `db` the way a request of `user` acting in `org` with `role` is scoped."""
    tenant = plan.orgs[org]
    write = tenant if role_may(role, Permission.CONTRIBUTE) else None
    await db.set_scope(TenantScope(plan.users[user], frozenset({tenant}), write))
    return Actor(plan.users[user], tenant, role)


async def planning_rows(owner_engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    """Every planning row as the owner sees it, to prove a refused change changed nothing."""
    rows: dict[str, list[tuple[object, ...]]] = {}
    async with owner_engine.connect() as connection:
        for table in PLANNING_TABLES:
            found = await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [tuple(row) for row in found]
    return rows
