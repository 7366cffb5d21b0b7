"""Loading the catalog into the database: once by the migration, idempotent afterwards, changes
applied in place, and the app role kept to reading."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.assessments.models import Assessment
from backend.catalog.loader import CatalogError, LoadReport, Outcome, load_catalog, read_catalog
from backend.catalog.models import Clause, Standard
from backend.programs.models import Program
from backend.runtime import Runtime
from tests.catalog.helpers import clause, small_standard, top, write
from tests.support import World


async def _load(owner: AsyncEngine, directory: Path | None = None) -> list[LoadReport]:
    standards = read_catalog(directory) if directory else read_catalog()
    async with owner.begin() as connection:
        return await load_catalog(connection, standards)


async def _clauses(owner: AsyncEngine, code: str) -> dict[str, Clause]:
    async with AsyncSession(owner) as db:
        rows = await db.scalars(
            select(Clause).join(Standard).where(Standard.code == code).order_by(Clause.position)
        )
        return {row.number: row for row in rows}


async def _catalog_rows(owner: AsyncEngine) -> list[Any]:
    async with owner.connect() as connection:
        standards = (await connection.execute(text("SELECT * FROM standards ORDER BY id"))).all()
        clauses = (await connection.execute(text("SELECT * FROM clauses ORDER BY id"))).all()
    return [*standards, *clauses]


@pytest.fixture
async def scratch(owner_engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Path]:
    """A data directory of its own; the standards loaded from it are removed afterwards."""
    yield tmp_path
    codes = [standard.code for standard in read_catalog(tmp_path)]
    async with owner_engine.begin() as connection:
        ids = select(Standard.id).where(Standard.code.in_(codes))
        await connection.execute(delete(Program).where(Program.standard_id.in_(ids)))
        await connection.execute(delete(Standard).where(Standard.code.in_(codes)))


async def test_the_migration_loaded_every_data_file(owner_engine: AsyncEngine) -> None:
    async with AsyncSession(owner_engine) as db:
        stored = {
            (row.code, row.edition): row.source_digest for row in await db.scalars(select(Standard))
        }
    for data in read_catalog():
        assert stored[(data.code, data.edition)] == data.digest
        assert len(await _clauses(owner_engine, data.code)) == len(data.nodes)


async def test_loading_again_changes_nothing(owner_engine: AsyncEngine) -> None:
    before = await _catalog_rows(owner_engine)
    reports = await _load(owner_engine)
    assert {report.outcome for report in reports} == {Outcome.UNCHANGED}
    assert await _catalog_rows(owner_engine) == before


async def test_a_new_file_creates_its_standard_with_the_tree(
    owner_engine: AsyncEngine, scratch: Path
) -> None:
    document = small_standard()
    write(scratch, document)
    (report,) = await _load(owner_engine, scratch)
    assert report.outcome is Outcome.CREATED
    stored = await _clauses(owner_engine, document["code"])
    assert list(stored) == ["4", "5", "6", "7", "8", "8.1", "8.2", "9", "10"]
    assert stored["8.1"].parent_id == stored["8"].id
    assert stored["8"].parent_id is None
    assert (stored["8"].assessable, stored["8.2"].assessable) == (False, True)
    assert stored["8.2"].components == ["beta"]


async def test_a_changed_file_updates_in_place_and_deletes_what_vanished(
    owner_engine: AsyncEngine, scratch: Path
) -> None:
    document = small_standard()
    write(scratch, document)
    await _load(owner_engine, scratch)
    before = await _clauses(owner_engine, document["code"])

    eight = top(document, "8")
    eight["children"] = [{**eight["children"][0], "title": "Renamed"}, clause("8.3")]
    top(document, "9")["children"] = [clause("9.1")]
    write(scratch, document)
    (report,) = await _load(owner_engine, scratch)

    assert report.outcome is Outcome.UPDATED
    after = await _clauses(owner_engine, document["code"])
    assert "8.2" not in after
    assert after["8.1"].id == before["8.1"].id  # assessments keep pointing at it
    assert after["8.1"].title == "Renamed"
    assert after["8.3"].parent_id == after["8"].id
    assert (after["9"].assessable, after["9.1"].assessable) == (False, True)
    assert [row.position for row in after.values()] == list(range(1, len(after) + 1))


async def test_an_unchanged_file_is_skipped_by_its_digest(
    owner_engine: AsyncEngine, scratch: Path
) -> None:
    document = small_standard()
    write(scratch, document)
    await _load(owner_engine, scratch)
    async with owner_engine.begin() as connection:
        await connection.execute(
            update(Clause)
            .where(
                Clause.number == "4",
                Clause.standard_id.in_(
                    select(Standard.id).where(Standard.code == document["code"])
                ),
            )
            .values(title="Edited by hand")
        )
    (report,) = await _load(owner_engine, scratch)
    assert report.outcome is Outcome.UNCHANGED
    assert (await _clauses(owner_engine, document["code"]))["4"].title == "Edited by hand"


async def test_removing_an_assessed_clause_is_refused_and_changes_nothing(
    owner_engine: AsyncEngine, scratch: Path, world: World
) -> None:
    document = small_standard()
    write(scratch, document)
    await _load(owner_engine, scratch)
    stored = await _clauses(owner_engine, document["code"])
    tenant = world.orgs["a"].id
    async with AsyncSession(owner_engine) as db:
        program = Program(
            id=uuid.uuid4(),
            tenant_id=tenant,
            standard_id=stored["4"].standard_id,
            scope_statement="Everything",
        )
        db.add(program)
        await db.flush()
        db.add(Assessment(tenant_id=tenant, program_id=program.id, clause_id=stored["8.2"].id))
        await db.commit()

    top(document, "8")["children"] = [clause("8.1")]
    top(document, "4")["title"] = "Would be renamed"
    write(scratch, document)
    with pytest.raises(CatalogError, match=r"clause\(s\) 8.2 were removed but assessments"):
        await _load(owner_engine, scratch)

    after = await _clauses(owner_engine, document["code"])
    assert "8.2" in after
    assert after["4"].title == "Clause 4"


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO standards (id, code, edition, title, purpose, components, source_digest)"
        " VALUES (gen_random_uuid(), 'X', '1', 'x', 'x', '[]', 'x')",
        "UPDATE standards SET title = 'changed'",
        "DELETE FROM standards",
        "UPDATE clauses SET guidance = 'changed'",
        "DELETE FROM clauses",
    ],
)
async def test_the_app_role_cannot_change_the_catalog(runtime: Runtime, statement: str) -> None:
    async with runtime.sessions() as db:
        with pytest.raises(DBAPIError, match="permission denied"):
            await db.execute(text(statement))


async def test_the_app_role_reads_the_catalog_without_a_tenant(runtime: Runtime) -> None:
    async with runtime.sessions() as db:
        standards = {row.code for row in await db.scalars(select(Standard))}
        clauses = await db.scalar(select(Clause.id).limit(1))
    assert {"ISO 9001", "ISO 14001"} <= standards
    assert clauses is not None
