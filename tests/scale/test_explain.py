"""The hot queries use an index led by tenant_id or by the key they filter on, not a
sequential scan, once the tables hold many tenants (2,000 here, ANALYZEd, the size `make
bench-scale` measures; at 400, 1,200 programs fit in a few pages that PostgreSQL rightly reads
whole): the dashboard's
assessments, a page of a consultant's programs list and the entitlements of a login. Each
such statement the app sends is EXPLAINed in its own transaction (same row-level security
scope, same parameters) just before it runs."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.app import create_app
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tenants.entitlements_sql import routes_of_login
from tests.bench.scale import CONSULTANT, OWNER, populate
from tests.bench.scenarios import BENCH_PASSWORD, DASHBOARD, PROGRAMS, global_id
from tests.support import tenant_tables

TENANTS, CLIENTS = 2000, 20
HOT = {
    "assessments": {"tenant_id", "program_id"},
    "programs": {"tenant_id", "id"},
    "memberships": {"tenant_id", "user_id"},
    "consultancy_engagements": {"tenant_id", "consultancy_id"},
}
Plan = dict[str, Any]
LOGIN_FUNCTION = "login_entitlements("


def _nodes(plan: Plan) -> Iterator[Plan]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _indexes(node: Plan) -> Iterator[str]:
    """The indexes a scan reads: its own, or those of the bitmap it heaps."""
    if "Index Name" in node:
        yield node["Index Name"]
    for child in node.get("Plans", []):
        if child["Node Type"] in {"Bitmap Index Scan", "BitmapOr", "BitmapAnd"}:
            yield from _indexes(child)


class Explainer:
    """EXPLAINs, on the same cursor and in the same transaction, each statement naming a hot
    table before it runs."""

    def __init__(self) -> None:
        self.plans: list[tuple[str, Plan]] = []

    def __call__(self, _conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if _hot(statement) is None:
            return
        if LOGIN_FUNCTION in statement:
            self._explain_login(cursor, parameters)
        else:
            self._explain(cursor, statement, parameters)

    def _explain(self, cursor: Any, statement: str, parameters: Any) -> None:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        (document,) = cursor.fetchone()
        plan = json.loads(document) if isinstance(document, str) else document
        self.plans.append((statement, plan[0]["Plan"]))

    def _explain_login(self, cursor: Any, parameters: Any) -> None:
        """EXPLAIN hides what a function runs: explain its statement instead, in the scope it
        sets, undone with a savepoint."""
        caller, login = parameters
        cursor.execute("SAVEPOINT explain_login")
        cursor.execute("SELECT set_config('app.user_id', $1, true)", (str(caller),))
        self._explain(cursor, routes_of_login("$1::uuid", "$2::uuid"), (caller, login))
        cursor.execute("ROLLBACK TO SAVEPOINT explain_login")


def _hot(statement: str) -> str | None:
    """Which hot query a statement is: the dashboard's assessments, a page of the programs
    list, or the entitlements of a login (its three routes in one statement)."""
    first = re.search(r"\bFROM (\w+)", statement)
    if LOGIN_FUNCTION in statement or (
        "consultancy_engagements" in statement and "auditor_grants" in statement
    ):
        return "entitlements"
    if first is not None and first.group(1) == "assessments":
        return "dashboard"
    if first is not None and first.group(1) == "programs" and "LIMIT" in statement:
        return "programs list"
    return None


@pytest.fixture
async def populated(owner_engine: AsyncEngine) -> AsyncIterator[dict[str, str]]:
    async with owner_engine.connect() as connection:
        population = await populate(connection, TENANTS, CLIENTS)
        first = population.tenants[0]
        program = await connection.scalar(
            text("SELECT id FROM programs WHERE tenant_id = :t ORDER BY created_at, id LIMIT 1"),
            {"t": first},
        )
    yield {"tenant": global_id("Organization", first), "program": global_id("Program", program)}
    # About a million rows: TRUNCATE takes a second where the per-test DELETE took minutes.
    async with owner_engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {', '.join(tenant_tables())}"))


async def _leading_columns(owner: AsyncEngine) -> dict[str, str]:
    query = text(
        "SELECT i.relname, a.attname FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]"
    )
    async with owner.connect() as connection:
        rows = (await connection.execute(query)).all()
    return {str(name): str(column) for name, column in rows}


async def test_hot_queries_use_an_index_led_by_the_tenant_or_the_filtered_key(
    migrated: Settings, owner_engine: AsyncEngine, populated: dict[str, str]
) -> None:
    runtime = ApiRuntime.build(migrated)
    explainer = Explainer()
    event.listen(runtime.engine.sync_engine, "before_cursor_execute", explainer)
    async with AsyncTestClient(create_app(runtime)) as client:

        async def ask(query: str, variables: dict[str, Any], headers: dict[str, str]) -> Any:
            answer = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            assert answer.status_code == 200, answer.text
            assert not answer.json().get("errors"), answer.text
            return answer.json()["data"]

        login = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p})"
        login += " { accessToken } }"
        tokens = {
            email: (await ask(login, {"e": email, "p": BENCH_PASSWORD}, {}))["login"]["accessToken"]
            for email in (OWNER, CONSULTANT)
        }
        owner = {"Authorization": f"Bearer {tokens[OWNER]}", "X-Tenant-ID": populated["tenant"]}
        await ask(DASHBOARD, {"id": populated["program"]}, owner)
        portfolio = await ask(PROGRAMS, {}, {"Authorization": f"Bearer {tokens[CONSULTANT]}"})
    assert portfolio["programs"]["totalCount"] == CLIENTS * 3
    leading = await _leading_columns(owner_engine)
    assert {_hot(statement) for statement, _ in explainer.plans} == {
        "entitlements",
        "dashboard",
        "programs list",
    }
    scanned: dict[str, set[str]] = {}
    for statement, plan in explainer.plans:
        for node in _nodes(plan):
            table = node.get("Relation Name")
            if table not in HOT:
                continue
            assert node["Node Type"] != "Seq Scan", f"{table} scanned in full by {statement}"
            for index in _indexes(node):
                assert leading[index] in HOT[table], (index, leading[index], statement)
                scanned.setdefault(table, set()).add(index)
    assert set(scanned) == set(HOT), scanned
