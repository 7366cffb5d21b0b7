"""Fixtures: small standards of our own, an isolated criteria registry, a started program.

The tests make their own standards rather than rely on the catalog's data files, so they
say exactly which clauses are assessable; each standard is removed again after its test
(the shared catalog tables are not emptied between tests).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.catalog.models import Clause, ClauseKind, Standard
from backend.programs import criteria
from backend.programs.models import StepKey
from tests.programs.helpers import Snapshot, mutate, read, snapshot
from tests.support import Client, World, global_id, login


@dataclass(frozen=True)
class SeededStandard:
    id: uuid.UUID
    code: str
    edition: str
    assessable: frozenset[uuid.UUID]

    @property
    def gid(self) -> str:
        return global_id("Standard", self.id)

    def ref(self) -> dict[str, str]:
        """The standard as startProgram input names it by code and edition."""
        return {"standardCode": self.code, "standardEdition": self.edition}


# (number, parent number, assessable); clauses 4 and 5 only group their sub-clauses.
TREE = (
    ("4", None, False),
    ("4.1", "4", True),
    ("4.2", "4", True),
    ("5", None, False),
    ("5.1", "5", True),
    ("5.2", "5", True),
)

MakeStandard = Callable[..., Awaitable[SeededStandard]]


def _clauses(standard_id: uuid.UUID, extra: int) -> list[Clause]:
    tree = [*TREE, *((f"6.{n}", None, True) for n in range(1, extra + 1))]
    ids = {number: uuid.uuid4() for number, _, _ in tree}
    return [
        Clause(
            id=ids[number],
            standard_id=standard_id,
            parent_id=ids[parent] if parent else None,
            number=number,
            title=f"Clause {number}",
            guidance="Test guidance.",
            kind=ClauseKind.CLAUSE.value,
            components=[],
            documented_information=False,
            assessable=assessable,
            position=position,
        )
        for position, (number, parent, assessable) in enumerate(tree)
    ]


@pytest.fixture
async def make_standard(owner_engine: AsyncEngine) -> AsyncIterator[MakeStandard]:
    """Make a test standard with the TREE clauses and `extra` more assessable ones."""
    made: list[uuid.UUID] = []

    async def make(code: str = "TEST 1", edition: str = "2024", extra: int = 0) -> SeededStandard:
        standard = Standard(
            id=uuid.uuid4(),
            code=code,
            edition=edition,
            title=f"{code} test standard",
            purpose="Exercises programs.",
            components=[],
            source_digest="0" * 64,
        )
        clauses = _clauses(standard.id, extra)
        async with AsyncSession(owner_engine, expire_on_commit=False) as db:
            db.add(standard)
            await db.flush()
            db.add_all(clauses)
            await db.commit()
        made.append(standard.id)
        assessable = frozenset(clause.id for clause in clauses if clause.assessable)
        return SeededStandard(standard.id, code, edition, assessable)

    yield make
    async with owner_engine.begin() as connection:
        ids = {"ids": made}
        await connection.execute(text("DELETE FROM programs WHERE standard_id = ANY(:ids)"), ids)
        await connection.execute(text("DELETE FROM standards WHERE id = ANY(:ids)"), ids)


@pytest.fixture
async def standard(make_standard: MakeStandard) -> SeededStandard:
    return await make_standard()


class StepCriteria:
    """An empty criteria registry for one test; other features' criteria stay out, so a test
    decides exactly what a step needs. Each addition seals a fresh registry holding everything
    added so far, as the feature registry does at import."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self._added: list[criteria.Criterion] = []
        self._install()

    def _install(self) -> None:
        fresh = criteria.Registry()
        for item in self._added:
            fresh.add(item)
        fresh.seal([item.check.__module__ for item in self._added])
        self._monkeypatch.setattr(criteria, "_REGISTRY", fresh)

    def add(self, step: StepKey, key: str, check: criteria.Check) -> None:
        self._added.append(criteria.Criterion(step, key, f"Test criterion {key}.", check))
        self._install()

    def __call__(self, step: StepKey, key: str, verdict: Callable[[], criteria.Verdict]) -> None:
        """Add a criterion whose answer is `verdict()`, whatever the program holds."""

        async def check(_db: Any, programs: criteria.Programs) -> criteria.Verdicts:
            return {program.id: verdict() for program in programs}

        self.add(step, key, check)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> StepCriteria:
    return StepCriteria(monkeypatch)


@dataclass
class Env:
    """The HTTP client, the seeded world and the owner engine; A's owner signed in, acting in A.

    `mutate` and `read` act as A's owner in A unless given another token or tenant.
    """

    client: Client
    world: World
    owner: AsyncEngine
    token: str
    tenant: str

    async def login(self, user: str) -> str:
        return await login(self.client, user)

    async def mutate(
        self, name: str, input: dict[str, Any], *, token: str | None = None, tenant: str = ""
    ) -> dict[str, Any]:
        return await mutate(
            self.client, name, input, token=token or self.token, tenant=tenant or self.tenant
        )

    async def read(
        self, document: str, *, token: str | None = None, tenant: str = "", **variables: Any
    ) -> Any:
        return await read(
            self.client,
            document,
            token=token or self.token,
            tenant=tenant or self.tenant,
            **variables,
        )

    async def snapshot(self) -> Snapshot:
        return await snapshot(self.owner)


@pytest.fixture
async def env(client: Client, world: World, owner_engine: AsyncEngine) -> Env:
    return Env(client, world, owner_engine, await login(client, "a_owner"), world.org_gid("a"))


@pytest.fixture
async def program(env: Env, standard: SeededStandard) -> dict[str, Any]:
    """A program of A on the test standard, as startProgram returned it."""
    payload = await env.mutate(
        "startProgram",
        {**standard.ref(), "scopeStatement": "All sites", "targetDate": "2027-06-30"},
    )
    assert payload["errors"] == [], payload
    started: dict[str, Any] = payload["program"]
    return started
